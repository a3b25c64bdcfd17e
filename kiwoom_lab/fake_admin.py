"""What the fake saw, read through its admin API once a run's calls are over.

Every runner (tool calls, stream lessons, fleet lessons) checks the same facts: the request
journal, the ``upstream_requests`` counts of the ``expect`` block and how many tokens were
issued. Reading them in one place keeps the three runners' checks the same.
"""

from __future__ import annotations

from typing import Any

import httpx2

from kiwoom_lab.spec import Expect


async def count(admin: httpx2.AsyncClient, criteria: dict[str, Any]) -> int:
    """``POST /__admin/requests/count``: the journaled requests matching ``criteria``."""
    response = await admin.post("/__admin/requests/count", json=criteria)
    response.raise_for_status()
    return int(response.json()["count"])


async def journal(admin: httpx2.AsyncClient) -> list[dict[str, Any]]:
    """``GET /__admin/requests``: every request the fake journaled, oldest first."""
    response = await admin.get("/__admin/requests")
    response.raise_for_status()
    rows: list[dict[str, Any]] = response.json()["requests"]
    return rows


async def what_the_fake_saw(admin: httpx2.AsyncClient, expect: Expect) -> tuple[list[dict[str, Any]], list[int], int]:
    """The journal, one count per ``expect.upstream_requests`` entry, and the token issues (au10001)."""
    rows = await journal(admin)
    counts = [await count(admin, spec.criteria()) for spec in expect.upstream()]
    return rows, counts, await count(admin, {"api_id": "au10001"})
