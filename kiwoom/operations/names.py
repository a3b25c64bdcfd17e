"""A stock name where a code was expected: resolve it, or say which stocks it could mean.

Assistants often pass ``stock_code: "삼성전자"``. Rather than a bare format error, a name
that matches exactly one listing (by :func:`~kiwoom.operations.search.rank_matches`, the
ranking ``search_stock`` uses, so the two never disagree) stands for that listing's code;
an exact Korean or English name counts as one match even when it also starts other names
("카카오" and "카카오게임즈"). Anything else fails as bad input that lists up to
:data:`MAX_CANDIDATES` candidates and points to ``search_stock``, before any quote is asked for.

Pure: the client loads the ka10099 listing and passes its entries in. Only strings that
could be names are looked up; a mistyped code (``A005930``, ``5930``) gets the format
rule at once, at no upstream cost.
"""

from __future__ import annotations

import re
from typing import Any, Final

from kiwoom.errors import InvalidInputError
from kiwoom.operations.search import is_exact_name, rank_matches
from kiwoom.operations.validation import MAX_QUERY_LENGTH, STOCK_CODE_PATTERN, STOCK_CODE_RULE, echo

MAX_CANDIDATES: Final = 5
BATCH_FIELD: Final = "stock_codes"
_CANDIDATE_NAME_LIMIT: Final = 20
_CODE: Final = re.compile(STOCK_CODE_PATTERN)
#: Digits, capitals and underscores with at least one digit: a code typed wrong, not a name.
_CODE_SHAPED: Final = re.compile(r"^[0-9A-Z_]*[0-9][0-9A-Z_]*$")
_POINTER: Final = "search_stock으로 종목코드를 찾은 뒤 종목코드로 요청하세요"


def is_name(value: Any) -> bool:
    """Whether ``value`` is worth a listing lookup: a short string that is neither a code nor code-shaped."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return 0 < len(text) <= MAX_QUERY_LENGTH and not _CODE.match(text) and not _CODE_SHAPED.match(text)


def names_in(value: Any, field: str) -> dict[str, str]:
    """``{argument path: name}`` of the names in ``value``: list entries for the batch argument, else the string."""
    if field == BATCH_FIELD:
        entries = value if isinstance(value, list) else []
        return {f"{field}[{i}]": v.strip() for i, v in enumerate(entries) if is_name(v)}
    return {field: value.strip()} if is_name(value) else {}


def resolve(entries: list[dict[str, Any]], name: str, field: str) -> str:
    """The code ``name`` stands for; :class:`InvalidInputError` with candidates when it is not one listing."""
    matches = rank_matches(entries, name)
    exact = [m for m in matches if is_exact_name(m, name)]
    if len(matches) == 1 or len(exact) == 1:
        return str((exact or matches)[0]["stock_code"])
    if not matches:
        raise InvalidInputError(
            field, f"종목코드가 아니고 '{echo(name)}'과(와) 일치하는 종목명도 없습니다 ({STOCK_CODE_RULE}); {_POINTER}"
        )
    shown = ", ".join(f"{_short(m['name'])}({m['stock_code']})" for m in matches[:MAX_CANDIDATES])
    more = f" 외 {len(matches) - MAX_CANDIDATES}개" if len(matches) > MAX_CANDIDATES else ""
    raise InvalidInputError(
        field, f"'{echo(name)}'에 해당하는 종목이 {len(matches)}개입니다: {shown}{more}; 하나를 골라 {_POINTER}"
    )


def unavailable(field: str, reason: str) -> InvalidInputError:
    """The error when a name was given but the listing to resolve it could not be loaded."""
    return InvalidInputError(
        field, f"{STOCK_CODE_RULE}; 종목명으로 찾으려 했지만 종목 리스트를 불러오지 못했습니다 ({echo(reason)})"
    )


def substitute(value: Any, field: str, entries: list[dict[str, Any]]) -> tuple[Any, dict[str, str]]:
    """``value`` with each name swapped for its code, and ``{code: name as given}`` of the swaps."""
    found = names_in(value, field)
    if not found:
        return value, {}
    codes = {path: resolve(entries, name, path) for path, name in found.items()}
    resolved = {codes[path]: name for path, name in found.items()}
    if field == BATCH_FIELD:
        return [codes.get(f"{field}[{i}]", v) for i, v in enumerate(value)], resolved
    return codes[field], resolved


def tagged(data: dict[str, Any], resolved: dict[str, str]) -> dict[str, Any]:
    """``data`` saying which name each code came from (``resolved_from``); copies, as ``data`` may be cached."""
    if not resolved:
        return data
    prices = data.get("prices")
    if isinstance(prices, list):
        marked = [
            {**p, "resolved_from": resolved[p["stock_code"]]} if p.get("stock_code") in resolved else p for p in prices
        ]
        return {**data, "prices": marked}
    return {**data, "resolved_from": resolved.get(str(data.get("stock_code")), next(iter(resolved.values())))}


def _short(name: str) -> str:
    return name if len(name) <= _CANDIDATE_NAME_LIMIT else name[: _CANDIDATE_NAME_LIMIT - 1] + "…"
