"""Kiwoom wire facts as pure functions: hosts, the TR table, value decoding, envelopes.

Nothing here does I/O, so every rule of the wire format can be tested on its own. The
decoders are deliberately forgiving: the live server has been seen to send doubled signs
(``"--23722054"``), thousands separators (``"20,190"``) and saturated integers, and a
quote must not fail because one field is odd.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from kiwoom.errors import KiwoomHTTPError, KiwoomResponseError, api_error_for
from tr_catalog import CATALOG

REAL_HOST: Final = "https://api.kiwoom.com"
MOCK_HOST: Final = "https://mockapi.kiwoom.com"

TOKEN_PATH: Final = "/oauth2/token"
REVOKE_PATH: Final = "/oauth2/revoke"
JSON_CONTENT_TYPE: Final = "application/json;charset=UTF-8"

#: api-id → URL path (``/api/dostk/{group}``) of every TR in the catalog (``tr_catalog``).
#: Sending a TR to another group is error 1504.
TR_PATHS: Final[Mapping[str, str]] = {api_id: tr.path for api_id, tr in CATALOG.items()}

#: Market codes of ka10099 (mrkt_tp) used by this project, and the names shown to users.
MARKET_CODES: Final[Mapping[str, str]] = {"0": "KOSPI", "10": "KOSDAQ", "8": "ETF"}

_DETAIL_CODE = re.compile(r"\[(\d{3,5}):")
_NUMBER = re.compile(r"^([+-]*)(\d+(?:\.\d+)?)$")


def detail_code(return_msg: str) -> int | None:
    """The bracketed detail code in ``return_msg`` (``"...[8005:...]"`` → 8005), if any."""
    match = _DETAIL_CODE.search(return_msg)
    return int(match.group(1)) if match else None


def _split_number(raw: str) -> tuple[bool, str] | None:
    """(negative, digits) of a Kiwoom numeric string, or None for "no value"."""
    text = raw.strip().replace(",", "")
    if not text:
        return None
    match = _NUMBER.match(text)
    if match is None:
        raise ValueError(f"not a Kiwoom number: {raw!r}")
    signs, digits = match.groups()
    return "-" in signs, digits


def decode_int(raw: str) -> int | None:
    """A signed integer: ``"+600"`` → 600, ``"-00000000000084"`` → -84, ``""`` → None.

    A doubled sign (``"--5"``) is read as negative: it is a direction sign in front of a
    real sign, and the real one is what a change field means.
    """
    parts = _split_number(raw)
    if parts is None:
        return None
    negative, digits = parts
    value = int(float(digits)) if "." in digits else int(digits)
    return -value if negative else value


def decode_price(raw: str) -> int | None:
    """A price: the sign shows direction against the previous close, so it is dropped.

    ``"-78800"`` → 78800, ``"+0"``/``"-0"`` → 0.
    """
    value = decode_int(raw)
    return None if value is None else abs(value)


def decode_float(raw: str) -> float | None:
    """A rate or ratio: ``"-0.24"`` → -0.24, ``"+1.5"`` → 1.5, ``""`` → None."""
    parts = _split_number(raw)
    if parts is None:
        return None
    negative, digits = parts
    value = float(digits)
    return -value if negative else value


#: Kiwoom's 대비기호 (pre_sig / pred_pre_sig).
SIGN_CODES: Final[Mapping[str, str]] = {
    "1": "upper_limit",
    "2": "up",
    "3": "unchanged",
    "4": "lower_limit",
    "5": "down",
}


def check_envelope(api_id: str, status_code: int, payload: Any) -> dict[str, Any]:
    """Return the body of a successful TR answer or raise the matching error.

    Kiwoom reports most failures inside a JSON envelope (``return_code`` != 0, detail code
    in brackets) and often with HTTP 200, so the envelope is read before the status. An
    HTTP error without an envelope (a proxy's 503 page) becomes :class:`KiwoomHTTPError`.
    """
    if not isinstance(payload, dict):
        if status_code >= 400:
            raise KiwoomHTTPError(status_code, api_id)
        raise KiwoomResponseError(api_id, f"JSON object expected, got {type(payload).__name__}", status_code)
    raw_code = payload.get("return_code")
    if raw_code is None:
        if status_code >= 400:
            raise KiwoomHTTPError(status_code, api_id)
        raise KiwoomResponseError(api_id, "return_code missing", status_code)
    try:
        return_code = int(raw_code)
    except (TypeError, ValueError):
        raise KiwoomResponseError(api_id, f"return_code not a number: {raw_code!r}", status_code) from None
    if return_code != 0 or status_code >= 400:
        message = str(payload.get("return_msg", ""))
        raise api_error_for(api_id, return_code, detail_code(message), message, status_code)
    return payload


__all__ = [
    "JSON_CONTENT_TYPE",
    "MARKET_CODES",
    "MOCK_HOST",
    "REAL_HOST",
    "REVOKE_PATH",
    "SIGN_CODES",
    "TOKEN_PATH",
    "TR_PATHS",
    "check_envelope",
    "decode_float",
    "decode_int",
    "decode_price",
    "detail_code",
]
