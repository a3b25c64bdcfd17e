"""Argument checks that run before any upstream request.

Each check raises :class:`InvalidInputError` naming the argument and the rule, so a bad
call costs nothing upstream (no request, no rate-limit budget) and tells the caller,
often an AI model, exactly what to fix. A value is echoed back only through :func:`echo`,
a few dozen characters at most: a hostile caller must not be able to make the error
bigger than its own mistake.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

from kiwoom.errors import InvalidInputError

STOCK_CODE_PATTERN: Final = r"^[0-9][0-9A-Z]{5}(?:_NX|_AL)?$"
_STOCK_CODE: Final = re.compile(STOCK_CODE_PATTERN)
STOCK_CODE_RULE: Final = "6자리 종목코드 (숫자 또는 숫자와 영문 대문자, 예: 005930), 선택적으로 _NX/_AL 접미사"
MAX_BATCH_CODES: Final = 100
MAX_DAILY_DAYS: Final = 1000
MAX_MINUTE_DAYS: Final = 30
MINUTE_SCOPES: Final = (1, 3, 5, 10, 15, 30, 45, 60)
INTERVALS: Final = ("day", *(f"{m}m" for m in MINUTE_SCOPES))
MAX_QUERY_LENGTH: Final = 50
ECHO_LIMIT: Final = 40
_JSON_TYPES: Final = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array"))


def echo(value: Any) -> str:
    """``value`` as it may appear in a message: one line, at most ``ECHO_LIMIT`` characters, ``…`` when cut."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = repr(value)
        except ValueError:  # an int too long to print (over 4300 digits)
            text = f"<{received(value)}>"
    text = "".join(c if c.isprintable() else " " for c in text[: ECHO_LIMIT + 1])
    return text if len(text) <= ECHO_LIMIT else text[: ECHO_LIMIT - 1] + "…"


def received(value: Any) -> str:
    """The JSON type of ``value`` (``null``, ``boolean``, ``integer`` ...), for "expected X, got Y" rules."""
    if value is None:
        return "null"
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), "object")


def shown(value: Any) -> str:
    """``'text'`` for a string, else its JSON type and a short echo (``integer 5``)."""
    if isinstance(value, str):
        return f"'{echo(value)}'"
    return "null" if value is None else f"{received(value)} {echo(value)}"


def stock_code(value: Any, field: str = "stock_code") -> str:
    """A KRX stock code such as ``005930`` (optionally ``005930_NX``/``005930_AL``)."""
    if not isinstance(value, str):
        raise InvalidInputError(field, f"문자열이어야 합니다 (받은 값: {received(value)}): {STOCK_CODE_RULE}")
    code = value.strip()
    if not _STOCK_CODE.match(code):
        raise InvalidInputError(field, f"{STOCK_CODE_RULE}; 받은 값 {shown(value)}")
    return code


def stock_codes(values: Any, field: str = "stock_codes") -> list[str]:
    """1 to 100 distinct stock codes, order kept (ka10095 takes at most ~100 per request)."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InvalidInputError(field, f"종목코드 목록(list)이어야 합니다 (받은 값: {received(values)})")
    if not values:
        raise InvalidInputError(field, "종목코드가 1개 이상 필요합니다")
    if len(values) > MAX_BATCH_CODES:
        raise InvalidInputError(field, f"최대 {MAX_BATCH_CODES}개까지 조회할 수 있습니다 (받은 개수 {len(values)})")
    codes = [stock_code(v, f"{field}[{i}]") for i, v in enumerate(values)]
    return list(dict.fromkeys(codes))


def interval(value: Any, field: str = "interval") -> str:
    """``day`` or a minute interval ``1m`` ... ``60m`` (the ka10080 tic_scope values)."""
    if not isinstance(value, str) or value not in INTERVALS:
        raise InvalidInputError(field, f"다음 중 하나여야 합니다: {', '.join(INTERVALS)}; 받은 값 {shown(value)}")
    return value


def days(value: Any, chosen_interval: str, field: str = "days") -> int:
    """Trading days of history: 1-1000 for daily bars, 1-30 for minute bars."""
    limit = MAX_DAILY_DAYS if chosen_interval == "day" else MAX_MINUTE_DAYS
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(field, f"정수여야 합니다 (1~{limit}, 받은 값: {received(value)})")
    if not 1 <= value <= limit:
        raise InvalidInputError(
            field, f"1 이상 {limit} 이하여야 합니다 (interval={chosen_interval}, 받은 값 {echo(value)})"
        )
    return value


def search_query(value: Any, field: str = "query") -> str:
    """A non-empty name or code fragment of at most 50 characters."""
    if not isinstance(value, str) or not value.strip():
        got = "빈 문자열" if isinstance(value, str) else received(value)
        raise InvalidInputError(field, f"비어 있지 않은 문자열이어야 합니다 (종목명 또는 종목코드, 받은 값: {got})")
    if len(value) > MAX_QUERY_LENGTH:
        raise InvalidInputError(field, f"{MAX_QUERY_LENGTH}자 이하여야 합니다")
    return value.strip()


def mask_account(account_no: str) -> str:
    """Show only the first 4 and last 2 digits: ``5012345611`` → ``5012****11``."""
    digits = account_no.strip()
    if len(digits) <= 6:
        return "*" * len(digits)
    return f"{digits[:4]}{'*' * (len(digits) - 6)}{digits[-2:]}"
