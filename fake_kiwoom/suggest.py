"""Close matches for what a scenario file got wrong: a misspelled key, an api-id Kiwoom does not have.

A typo in a scenario must never pass as "no fault" or "no expectation": the schema already
refuses unknown keys, and this module makes the refusal useful. It is shared by the fake's
schema (``scenario_model``) and the lab's (``kiwoom_lab.spec``), so it imports only
``tr_catalog`` and pydantic: the fake never depends on the client.

* :func:`did_you_mean` ranks candidates with :mod:`difflib` (case-insensitive);
* :func:`api_id_problem` says why an api-id is unknown and which known ones are nearest;
* :func:`locate` walks a pydantic error location through the schema, so a message can
  show the path as written in the file (no union labels such as ``Narrative``) and an
  ``extra_forbidden`` error can suggest the field names valid at that spot (:func:`key_hint`).
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails, PydanticCustomError

from tr_catalog import CATALOG

#: The token APIs (issue, revoke): not in the TR catalog, answered by the fake all the same.
TOKEN_API_IDS = frozenset({"au10001", "au10002"})
#: Every api-id a REST request to the fake can carry and a rule can match.
REST_API_IDS: frozenset[str] = frozenset(CATALOG) | TOKEN_API_IDS
#: What the fake journals for its WebSocket under ``api_id`` (``fake_kiwoom.websocket``'s
#: journal contract): inbound frames by ``trnm``, then the server's own events.
STREAM_JOURNAL_IDS = frozenset(
    {
        "LOGIN",
        "REG",
        "REMOVE",
        "PING",
        "STALL",
        "STALL_END",
        "BURST",
        "BURST_END",
        "DUPLICATE",
        "OUT_OF_ORDER",
        "PING_SKIPPED",
        "TOKEN_EXPIRED",
        "DROP",
        "CLOSE",
    }
)
#: How alike (difflib's ratio) a name must be to be offered as the one meant.
_CUTOFF = 0.6
#: A misspelled key is offered the fields scoring within this of the best one.
KEY_MARGIN = 0.1
#: The pydantic error type of a message that already quotes the input (no "(got ...)" after it).
SELF_DESCRIBED = "self_described"


def self_described(message: str) -> PydanticCustomError:
    """A validation error whose ``message`` is shown as is (braces in it are not a template)."""
    return PydanticCustomError(SELF_DESCRIBED, "{message}", {"message": message})


def close_matches(word: str, candidates: Iterable[str], n: int = 3, *, margin: float = 1.0) -> list[str]:
    """Up to ``n`` candidates nearest to ``word``, best first; case does not count (``KA10001``).

    ``margin`` keeps only those scoring within it of the best, so an obvious fix is not
    buried among merely similar names (``dorp_after_s`` → ``drop_after_s`` alone).
    """
    by_folded: dict[str, str] = {}
    for candidate in sorted(candidates):
        by_folded.setdefault(candidate.casefold(), candidate)
    matcher = difflib.SequenceMatcher(b=word.casefold())
    scored: list[tuple[float, str]] = []
    for folded, candidate in by_folded.items():
        matcher.set_seq1(folded)
        if matcher.real_quick_ratio() >= _CUTOFF and matcher.quick_ratio() >= _CUTOFF:
            score = matcher.ratio()
            if score >= _CUTOFF:
                scored.append((score, candidate))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    best = scored[0][0] if scored else 0.0
    return [candidate for score, candidate in scored[:n] if score >= best - margin]


def _quoted_choice(names: Sequence[str]) -> str:
    quoted = [f"'{name}'" for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3, *, margin: float = 1.0) -> str:
    """``"did you mean 'days'?"``, or ``""`` when nothing is close enough to be a likely typo."""
    matches = close_matches(word, candidates, n, margin=margin)
    return f"did you mean {_quoted_choice(matches)}?" if matches else ""


def api_id_problem(api_id: str, *, journal: bool = False) -> str | None:
    """Why ``api_id`` matches nothing, with the nearest known ids; ``None`` when it is known.

    ``journal=False`` is a rule's ``match.api_id``: REST requests only (the TR catalog and
    the token APIs). ``journal=True`` is a count of the fake's journal, which also holds the
    WebSocket's frames and events (``REG``, ``DROP``, ...).
    """
    known = REST_API_IDS | STREAM_JOURNAL_IDS if journal else REST_API_IDS
    if api_id in known:
        return None
    if api_id in STREAM_JOURNAL_IDS:
        return (
            f"'{api_id}' is a WebSocket frame or event; rules match REST requests only"
            " (the stream: block makes the socket fail)"
        )
    what = "an api-id the fake journals (a TR, au10001/au10002, or a WebSocket frame such as REG)"
    if not journal:
        what = "a Kiwoom api-id (a TR of tr_catalog, or au10001/au10002)"
    hint = did_you_mean(api_id, known) or "`python -m tr_catalog` lists the TRs"
    return f"'{api_id}' is not {what}; {hint}"


def _strip(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _members(tp: Any) -> list[Any] | None:
    """A union's members other than ``None``; ``None`` when ``tp`` is no union."""
    if get_origin(tp) not in (Union, types.UnionType):
        return None
    return [_strip(member) for member in get_args(tp) if member is not type(None)]


def _branch(members: list[Any], label: str) -> Any:
    """The member a pydantic union label names.

    Labels are a generic's ``list[...]``, a discriminator's ``type`` tag (``http_status``), or
    a class name, bare or inside its validator's (``function-after[_one_bound(), UpstreamCount]``).
    """
    for member in members:
        origin = get_origin(member)
        if origin is not None and label.startswith(f"{origin.__name__}["):
            return member
    for member in members:
        if not _is_model(member):
            continue
        tag = member.model_fields.get("type")
        tag_type = _strip(tag.annotation) if tag is not None else None
        if get_origin(tag_type) is Literal and label in get_args(tag_type):
            return member
        if re.search(rf"\b{re.escape(member.__name__)}\b", label):
            return member
    return None  # a scalar branch ('str', 'constrained-str', 'float'): nothing below it


def _child(tp: Any, part: int | str) -> Any:
    """The type one step below ``tp`` along ``part`` (a field, an index or a mapping key)."""
    if _is_model(tp):
        field = tp.model_fields.get(str(part))
        return field.annotation if field is not None else None
    origin, args = get_origin(tp), get_args(tp)
    if origin in (list, set, frozenset) and args:
        return args[0]
    if origin is tuple and args and isinstance(part, int):
        return args[0] if args[-1] is Ellipsis or part >= len(args) else args[part]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


@dataclass(frozen=True)
class Located:
    """Where a pydantic error location points, in the file's terms."""

    #: The keys and indexes as written in the file (union labels and discriminator tags left out).
    parts: tuple[int | str, ...]
    #: The model the location ends in, when it ends in one (the keys valid there are its fields).
    model: type[BaseModel] | None
    #: The location's last part was a union label: the error is "this branch does not fit at all".
    at_branch: bool


def locate(root: type[BaseModel], loc: Sequence[int | str]) -> Located:
    """Follow a pydantic error location from ``root`` through fields, indexes, keys and union branches.

    ``('rules', 0, 'steps', 0, 'fault', 'http_status', 'x')`` has the parts
    ``('rules', 0, 'steps', 0, 'fault', 'x')``: the discriminator's tag is no key in the file.
    """
    tp: Any = root
    parts: list[int | str] = []
    at_branch = False
    for part in loc:
        tp = _strip(tp)
        members = _members(tp)
        if members is not None and len(members) == 1:
            tp, members = members[0], None
        if members is not None:  # a union of two or more: pydantic names the branch in the location
            tp, at_branch = _branch(members, str(part)), True
            continue
        parts.append(part)
        tp, at_branch = _child(tp, part), False
    tp = _strip(tp)
    members = _members(tp)
    if members is not None and len(members) == 1:
        tp = members[0]
    return Located(tuple(parts), tp if _is_model(tp) else None, at_branch)


def dotted(parts: Sequence[int | str], prefix: str = "") -> str:
    """``('rules', 0, 'match')`` → ``rules[0].match`` (after ``prefix`` when given)."""
    out = prefix
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def key_hint(root: type[BaseModel], loc: Sequence[int | str]) -> str:
    """For an unknown key at ``loc``: ``"; did you mean 'probability'?"`` from the fields valid there, or ``""``."""
    if not loc:
        return ""
    model = locate(root, loc[:-1]).model
    if model is None:
        return ""
    hint = did_you_mean(str(loc[-1]), model.model_fields, margin=KEY_MARGIN)
    return f"; {hint}" if hint else ""


def one_line_per_problem(root: type[BaseModel], errors: Sequence[ErrorDetails]) -> list[ErrorDetails]:
    """pydantic's errors without the echoes of one mistake, so each line is a problem to fix.

    * a misspelled required key (``factr`` for ``factor``) is also "``factor``: Field required";
      the "did you mean" line says both, so the "required" line goes;
    * ``str | {ko, en}`` given a mapping with a typo also says "not a string": when one branch
      of a union got past the shape of the value (its error lies deeper), the other branches'
      "wrong shape" lines only hide the one that matters.
    """
    meant = {_meant(root, error) for error in errors if error["type"] == "extra_forbidden"}
    deep: set[tuple[int | str, ...]] = set()  # unions with an error inside one of their branches
    shallow: dict[int, tuple[int | str, ...]] = {}  # error index → the union whose branch it rejects outright
    for index, error in enumerate(errors):
        loc = tuple(error["loc"])
        for cut in range(1, len(loc)):
            if locate(root, loc[:cut]).at_branch:
                deep.add(loc[: cut - 1])
        if loc and locate(root, loc).at_branch:
            shallow[index] = loc[:-1]
    dropped = {index for index, union in shallow.items() if union in deep}
    dropped |= {index for index, error in enumerate(errors) if error["type"] == "missing" and error["loc"] in meant}
    return [error for index, error in enumerate(errors) if index not in dropped]


def _meant(root: type[BaseModel], error: ErrorDetails) -> tuple[int | str, ...] | None:
    """The location of the one key an unknown key most likely stands for (``...burst.factor``)."""
    loc = tuple(error["loc"])
    model = locate(root, loc[:-1]).model if loc else None
    if model is None:
        return None
    best = close_matches(str(loc[-1]), model.model_fields, n=1)
    return (*loc[:-1], best[0]) if best else None
