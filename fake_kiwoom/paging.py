"""Continuation keys: opaque, at most 50 characters, bound to the TR and the request body.

A key encodes the row offset of the next page, the instant the first page was computed
(so later pages are cut from the same snapshot even if the clock moved and new bars
appeared: no duplicates, no gaps) and a short hash of api-id, body and both numbers, so
a key replayed with a different body or TR is rejected with 1517.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from .envelopes import KiwoomError

MAX_KEY_LEN = 50


@dataclass(frozen=True, slots=True)
class Cursor:
    offset: int
    asof: float


def _digest(api_id: str, body: Mapping[str, str], offset: int, asof_ms: int) -> str:
    canonical = json.dumps(dict(body), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(f"{api_id}|{canonical}|{offset}|{asof_ms}".encode(), digest_size=6).hexdigest()


def make_key(api_id: str, body: Mapping[str, str], cursor: Cursor) -> str:
    asof_ms = round(cursor.asof * 1000)
    key = f"{cursor.offset}.{asof_ms}.{_digest(api_id, body, cursor.offset, asof_ms)}"
    assert len(key) <= MAX_KEY_LEN
    return key


def parse_key(api_id: str, body: Mapping[str, str], key: str) -> Cursor:
    """Decode a key from ``make_key``; a foreign, damaged or mismatched key is a 1517 input error."""
    parts = key.split(".")
    if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
        offset, asof_ms = int(parts[0]), int(parts[1])
        if parts[2] == _digest(api_id, body, offset, asof_ms):
            return Cursor(offset, asof_ms / 1000)
    raise KiwoomError(1517, "next-key가 요청 내용과 일치하지 않습니다")


def page(rows: list[dict[str, str]], offset: int, size: int) -> tuple[list[dict[str, str]], int | None]:
    """The rows of one page and the offset of the next page, or ``None`` when this is the last."""
    end = offset + size
    return rows[offset:end], (end if end < len(rows) else None)
