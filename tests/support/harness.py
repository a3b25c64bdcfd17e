"""A KiwoomClient wired to the fake in-process (ASGITransport), both on one :class:`FakeTime`.

``harness(...)`` is an async context manager, not an async generator to loop over: a
generator used as ``async for`` skips its cleanup when the test body raises, which leaks
the client (and its token) into the next test. ``async with`` always closes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx2

from fake_kiwoom import FakeKiwoomConfig, create_app
from fake_kiwoom.scenario_model import parse_scenario
from kiwoom import KiwoomClient, Settings
from tests.support.clock import FakeTime

BASE_URL = "http://fake-kiwoom"


@dataclass
class Harness:
    client: KiwoomClient
    admin: httpx2.AsyncClient
    time: FakeTime

    async def journal(self) -> list[dict[str, Any]]:
        response = await self.admin.get("/__admin/requests")
        rows: list[dict[str, Any]] = response.json()["requests"]
        return rows

    async def api_ids(self) -> list[str]:
        return [row["api_id"] for row in await self.journal()]

    async def tr_rows(self, api_id: str = "ka10001") -> list[dict[str, Any]]:
        return [row for row in await self.journal() if row["api_id"] == api_id]

    async def set_scenario(self, text: str | None) -> None:
        """Load a scenario into the running fake (``None``: back to no faults)."""
        if text is None:
            response = await self.admin.delete("/__admin/scenario")
        else:
            response = await self.admin.put("/__admin/scenario", content=text)
        assert response.status_code == 200, response.text


def make_settings(**overrides: Any) -> Settings:
    """Test keys, a slow rate limit (so pacing shows) and the fake's base URL; ``overrides`` win."""
    values: dict[str, Any] = {
        "base_url": BASE_URL,
        "rate_limit_per_s": 1.0,
        "rate_limit_burst": 2,
        "page_delay_s": 0.2,
        "app_key": "test-app-key-123",
        "secret_key": "test-secret-key-456",
        "account_no": "5012345611",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def burst(count: int, fault: str = "{type: http_status, status: 503}", api_id: str = "ka10001") -> str:
    """A scenario whose first ``count`` requests of ``api_id`` fail with ``fault``, then all pass."""
    return f"""
version: 1
name: burst
description: the first {count} {api_id} requests fail
rules:
  - match: {{api_id: {api_id}}}
    steps: [{{times: {count}, fault: {fault}}}]
    then: pass
"""


@contextlib.asynccontextmanager
async def harness(
    scenario: str | None = None, *, config: FakeKiwoomConfig | None = None, **overrides: Any
) -> AsyncIterator[Harness]:
    """The fake (seed 7 unless ``config``) playing ``scenario``; the client from ``make_settings(**overrides)``."""
    t = FakeTime()
    loaded = parse_scenario(scenario, "test") if scenario else None
    app = create_app(config or FakeKiwoomConfig(seed=7), clock=t.clock, sleep=t.sleep, scenario=loaded)
    transport = httpx2.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx2.AsyncClient(transport=transport, base_url=BASE_URL) as admin:
        client = KiwoomClient(
            make_settings(**overrides), transport=transport, clock=t.clock, monotonic=t.clock, sleep=t.sleep
        )
        try:
            yield Harness(client, admin, t)
        finally:
            await client.close()
