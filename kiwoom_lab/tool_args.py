"""``expect.args`` against the called method's signature, checked when the file is loaded.

The runner calls ``KiwoomClient.<tool>(code, **args)`` (:func:`kiwoom_lab.runner.invoke`), so a
misspelled argument (``args: {day: 5}``) used to surface only mid-run, as a ``TypeError``
recorded like a client failure. Here the signature itself is the reference: an unknown
name gets the nearest real one, a missing required one is named, and an ``int``, ``float``,
``str`` or ``bool`` parameter given the wrong kind of value says which kind it takes.
Deeper rules (``interval: week``, ``days: 0``) stay the client's: a lesson may be about them.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, get_args, get_origin, get_type_hints

from fake_kiwoom.suggest import KEY_MARGIN, did_you_mean
from kiwoom.client import KiwoomClient

#: Parameters the runner fills from ``expect.stock_code`` (the code, or the list of codes).
RUNNER_FILLS = frozenset({"stock_code", "stock_codes"})
#: Parameters the runner defaults from ``expect.stock_code`` when ``args`` leaves them out.
RUNNER_DEFAULTS = frozenset({"query"})

#: Python types a YAML or JSON value is checked against; other annotations are left to the client.
_SCALARS: dict[type, tuple[type, ...]] = {bool: (bool,), int: (int,), float: (int, float), str: (str,)}


def _parameters(tool: str) -> list[inspect.Parameter]:
    method = getattr(KiwoomClient, tool)
    params = list(inspect.signature(method).parameters.values())[1:]  # without self
    return [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _hints(tool: str) -> dict[str, Any]:
    try:
        return get_type_hints(getattr(KiwoomClient, tool))
    except (NameError, TypeError):  # an annotation that only resolves for a type checker: check no types
        return {}


def _kind_problem(tool: str, name: str, value: object, hint: Any) -> str | None:
    """Why ``value`` cannot be ``name``'s argument, for the cheap cases (scalars, lists of scalars)."""
    if get_origin(hint) is list and get_args(hint) and get_args(hint)[0] in _SCALARS:
        item = get_args(hint)[0]
        if isinstance(value, list) and all(_fits(element, item) for element in value):
            return None
        return f"{tool} takes {name} as a list of {item.__name__}, got {value!r}"
    if hint in _SCALARS and not _fits(value, hint):
        return f"{tool} takes {name} as {hint.__name__}, got {value!r} ({type(value).__name__})"
    return None


def _fits(value: object, kind: type) -> bool:
    if isinstance(value, bool) and kind is not bool:  # YAML's true is no number of days
        return False
    return isinstance(value, _SCALARS[kind])


def argument_problems(tool: str, args: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """``(location under args, message)`` per problem; empty when ``tool(code, **args)`` will bind."""
    params = _parameters(tool)
    takes = {p.name: p for p in params if p.name not in RUNNER_FILLS}
    hints = _hints(tool)
    problems: list[tuple[tuple[str, ...], str]] = []
    for name, value in args.items():
        if name in RUNNER_FILLS and any(p.name == name for p in params):
            problems.append(((name,), f"the runner passes {name} from expect.stock_code; give the code there"))
        elif name not in takes:
            filled = [p.name for p in params if p.name in RUNNER_FILLS]
            problems.append(((name,), _unknown(tool, name, list(takes), filled)))
        elif (kind := _kind_problem(tool, name, value, hints.get(name))) is not None:
            problems.append(((name,), kind))
    for name, param in takes.items():
        if param.default is param.empty and name not in args and name not in RUNNER_DEFAULTS:
            problems.append(((), f"{tool} needs argument '{name}'"))
    return problems


def _unknown(tool: str, name: str, takes: list[str], filled: list[str]) -> str:
    if takes:
        hint = did_you_mean(name, takes, margin=KEY_MARGIN) or f"it takes {', '.join(takes)}"
    elif filled:
        hint = f"it takes only {', '.join(filled)}, which the runner passes from expect.stock_code"
    else:
        hint = "it takes no arguments"
    return f"{tool} has no argument '{name}'; {hint}"
