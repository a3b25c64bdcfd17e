"""The fake Kiwoom in-process behind an httpx2 ASGI transport, for unit tests of the wire layer."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx2

from fake_kiwoom import FakeKiwoomConfig, create_app
from tests.support.fake import FakeClock


@dataclass
class InProcessFake:
    """An HTTP client wired to a fresh fake, the fake's state, and the clock both share."""

    http: httpx2.AsyncClient
    app: Any
    clock: FakeClock

    def api_ids(self) -> list[str]:
        return [entry.api_id for entry in self.app.state.journal.entries()]


@contextlib.asynccontextmanager
async def in_process_fake(config: FakeKiwoomConfig | None = None) -> AsyncIterator[InProcessFake]:
    """Enter the fake's lifespan (ASGITransport does not) and close everything afterwards, even on failure."""
    clock = FakeClock()
    app = create_app(config or FakeKiwoomConfig(rate_limit_per_s=0), clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://fake") as http,
    ):
        yield InProcessFake(http, app, clock)
