"""The embedded sandbox: the fake Kiwoom server running in-process behind an ASGI transport.

With no keys configured the client talks to this, so a new user gets real protocol
traffic (tokens, TRs, paging, rate limits) over no socket at all. Every result made from
it is labelled simulated.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

import httpx2


@contextlib.asynccontextmanager
async def sandbox_transport(
    seed: int = 0, *, clock: Callable[[], float] | None = None
) -> AsyncIterator[httpx2.AsyncBaseTransport]:
    """Yield an ASGI transport to a fresh fake, with its lifespan entered (ASGITransport does not).

    The fake is imported here, not at module load, so real and mock deployments never load it.
    """
    from fake_kiwoom import FakeKiwoomConfig, create_app

    app = create_app(FakeKiwoomConfig(seed=seed), clock=clock)
    async with app.router.lifespan_context(app):
        yield httpx2.ASGITransport(app=app)
