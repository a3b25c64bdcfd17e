"""What the fake saw: its request journal, read through its admin API.

Two views of the same journal: per phase (:func:`read_journal`: TR requests by api-id and
status, 429s, 1700s) and over our server's whole life (:func:`read_server_life`), where
shared state shows: token issues and ``ka10001`` requests per stock code.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any

from bench.load.console import RunnerError
from bench.load.probes import http_json

#: The fake's default ``journal_limit`` (fake_kiwoom/config.py): a journal this long may have dropped entries.
JOURNAL_CAPACITY = 10000
Entry = dict[str, Any]


def journal_since(fake_url: str, since: float) -> tuple[list[Entry], bool]:
    """The fake's journal entries from ``since`` on, and whether the journal was full (counts may be short).

    ``since`` is epoch time on this machine, which is the fake's clock too (journal ``ts``).
    """
    status, answer = http_json(f"{fake_url}/__admin/requests", timeout_s=10.0)
    if status != 200 or not isinstance(answer, dict):
        raise RunnerError(f"fake journal unreadable (HTTP {status})")
    journal: list[Entry] = answer["requests"]
    return [e for e in journal if float(e["ts"]) >= since], len(journal) >= JOURNAL_CAPACITY


def _is_tr(entry: Entry) -> bool:
    """A TR request (``/api/...``), as opposed to a token call."""
    return str(entry.get("path", "")).startswith("/api/")


def _token_issues(entries: list[Entry]) -> int:
    return sum(1 for e in entries if e.get("api_id") == "au10001")


def read_journal(fake_url: str, since: float) -> dict[str, Any]:
    """TR requests the fake saw from ``since`` on (token calls left out), by api-id; 429s and 1700s."""
    entries, full = journal_since(fake_url, since)
    trs = [e for e in entries if _is_tr(e)]
    _, count_429 = http_json(f"{fake_url}/__admin/requests/count", {"status": 429, "since_ts": since})
    return {
        "tr_requests": len(trs),
        "by_api_id": dict(Counter(str(e["api_id"]) for e in trs).most_common()),
        "by_status": {str(k): v for k, v in Counter(e["status"] for e in trs).most_common()},
        "faults": dict(Counter(str(e["fault"]) for e in trs if e["fault"]).most_common()),
        "status_429": (count_429 or {}).get("count"),
        # The fake's own rate limiter (fault null) answers 1700 when a client outruns the TR limit:
        # that is the target (0). A scenario's scripted 1700s (rate_limited) are counted apart.
        "kiwoom_1700": sum(1 for e in trs if e.get("detail_code") == 1700 and not e.get("fault")),
        "kiwoom_1700_injected": sum(1 for e in trs if e.get("detail_code") == 1700 and e.get("fault")),
        "token_issues": _token_issues(entries),
        "journal_full": full,
    }


def read_server_life(fake_url: str, since: float, env: dict[str, str]) -> dict[str, Any]:
    """What the fake saw over our server's whole life (every phase and the pre-fill).

    Shared state shows here, not per phase: one token issue per server however many workers
    (the first one a worker issues is shared through Redis), and ``ka10001`` requests per
    stock code, which single-flight and the shared cache hold to one per code and operation
    per TTL window, whichever worker is asked: ``get_stock_price`` and ``get_stock_info``
    each load ``ka10001`` under their own key, so the mixed mix may send 2 per code, the
    price-only mix 1.
    """
    entries, full = journal_since(fake_url, since)
    per_code = Counter(str(e["stock_code"]) for e in entries if e.get("api_id") == "ka10001" and e.get("stock_code"))
    life_s = time.time() - since
    ttl = float(env.get("KIWOOM_CACHE_TTL", "300"))
    return {
        "seconds": round(life_s, 1),
        "token_issues": _token_issues(entries),
        "tr_requests": sum(1 for e in entries if _is_tr(e)),
        "ka10001_codes": len(per_code),
        "ka10001_requests": sum(per_code.values()),
        "ka10001_max_per_code": max(per_code.values(), default=0),
        "ka10001_per_code": round(sum(per_code.values()) / len(per_code), 2) if per_code else None,
        # A key may be loaded again in every TTL window the life spans.
        "ttl_windows": max(1, math.ceil(life_s / ttl)),
        "journal_full": full,
    }
