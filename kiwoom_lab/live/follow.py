"""Following a running ``fake-kiwoom`` while something else (an assistant through ``kiwoom-mcp``) drives it.

The fake's admin API has no cursor: ``GET /__admin/requests?limit=N`` answers the newest N
journal rows, and a row has no id. A row is known by what never changes once it arrives
(arrival time, path, session, TR, codes); its status and fault are filled in when the fake
answers, so a known row whose content changed is published again under the same key and the
page updates it in place. Polling only the newest ``WINDOW`` rows keeps each look cheap on a
fake with a long journal; rows older than that were seen by an earlier look.

``GET /__admin/scenario`` is read on every look as well: whenever the loaded scenario changes
(from this page, or from a terminal with ``curl -X PUT``), a ``scenario`` row marks the moment
it was loaded, so the learner sees which requests met which rules.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import httpx2

from fake_kiwoom.scenario_model import Scenario
from kiwoom_lab.live.feed import Feed, event_row
from kiwoom_lab.timeline import Event, journal_events

POLL_S = 0.25
WINDOW = 500
#: Row keys remembered, oldest forgotten first (a fake that runs for days must not grow this forever).
REMEMBERED = 20_000

RowKey = tuple[Any, ...]


def row_key(row: dict[str, Any]) -> RowKey:
    """What identifies a journal row from its arrival on: it does not change when the fake answers it."""
    return (row.get("ts"), row.get("path"), row.get("session"), row.get("api_id"), row.get("stock_code"))


class FakeFollower:
    """Publishes a running fake's journal and scenario switches to :attr:`feed`."""

    def __init__(self, fake_url: str, *, clock: Callable[[], float] = time.time) -> None:
        self.fake_url = fake_url.rstrip("/")
        self.feed = Feed()
        self._clock = clock
        self._t0: float | None = None
        self._rows: OrderedDict[RowKey, tuple[str, dict[str, Any]]] = OrderedDict()
        self._scenario: tuple[Any, Any] | None = None
        self._reachable: bool | None = None
        self._admin = httpx2.AsyncClient(base_url=self.fake_url, timeout=5.0)
        self._lock = asyncio.Lock()

    async def run(self) -> None:
        """Look at the fake every ``POLL_S`` until cancelled (the server's shutdown)."""
        try:
            while True:
                await self.poll()
                await asyncio.sleep(POLL_S)
        finally:
            await self.close()

    async def close(self) -> None:
        """Close the connections to the fake (``run`` does on its way out)."""
        await self._admin.aclose()

    async def poll(self) -> None:
        """One look: new or changed journal rows, then a scenario switch if there was one."""
        async with self._lock:  # a switch from the page polls at once; one look at a time
            try:
                rows = await self._get("/__admin/requests", params={"limit": WINDOW})
                snapshot = await self._get("/__admin/scenario")
            except (httpx2.HTTPError, ValueError) as exc:
                self._set_reachable(False, f"cannot read the fake at {self.fake_url}: {exc}")
                return
            self._set_reachable(True, f"following {self.fake_url}", snapshot.get("name"))
            self._publish_rows(rows["requests"])
            self._publish_switch(snapshot)

    async def switch(self, scenario: Scenario | None) -> None:
        """Load ``scenario`` into the fake (``None``: unload it), then look at once so the mark shows."""
        if scenario is None:
            response = await self._admin.delete("/__admin/scenario")
        else:
            response = await self._admin.put("/__admin/scenario", content=scenario.model_dump_json())
        if response.status_code >= 400:
            raise ValueError(f"the fake refused the scenario: {response.text}")
        await self.poll()

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self._admin.get(path, params=params)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def _set_reachable(self, ok: bool, message: str, scenario: str | None = None) -> None:
        if ok == self._reachable:
            return
        self._reachable = ok
        self.feed.publish("status", {"ok": ok, "message": message, "scenario": scenario})

    def _origin(self, rows: list[dict[str, Any]]) -> float:
        """Time zero of this page: the first look's oldest request, or the first look itself."""
        if self._t0 is None:
            self._t0 = min([float(row["ts"]) for row in rows] + [self._clock()])
        return self._t0

    def _publish_rows(self, rows: list[dict[str, Any]]) -> None:
        t0 = self._origin(rows)
        for row in rows:
            key = row_key(row)
            known = self._rows.get(key)
            if known is not None and known[1] == row:
                continue
            row_id = known[0] if known is not None else f"f{len(self._rows) + 1}-{row.get('ts')}"
            self._rows[key] = (row_id, row)
            (event,) = journal_events([row], t0)
            self.feed.publish("event", event_row(row_id, "fake", event))
        while len(self._rows) > REMEMBERED:
            self._rows.popitem(last=False)

    def _publish_switch(self, snapshot: dict[str, Any]) -> None:
        """A ``scenario`` row when the loaded scenario changed since the last look (not on the first)."""
        loaded = (snapshot.get("name"), snapshot.get("started_at"))
        first = self._scenario is None
        if loaded == self._scenario:
            return
        self._scenario = loaded
        if first:
            return
        name = loaded[0]
        at = float(loaded[1] or self._clock()) - (self._t0 or 0.0)
        detail = (
            f"scenario {name} loaded (or the fake reset): the next requests meet its rules from the start"
            if name
            else "scenario unloaded: no faults from here on"
        )
        marker = Event(at, "scenario", str(name or "none"), detail, "info")
        self.feed.publish("event", event_row(f"s{loaded[1]}", "fake", marker))
