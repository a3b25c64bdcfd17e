"""The registry of live workers of one app key, so that each knows N when it must pace alone.

Every open client holds a lease here (:class:`~kiwoom.state.redis.leases.Leases`),
renewed by its heartbeat; the live ids it reads back are remembered by
:class:`~kiwoom.state.share.WorkerShare`, and used only once Redis is gone: then each
worker takes 1/N of the rate budget, with N the count it last saw.
"""

from __future__ import annotations

from kiwoom.state.redis.leases import Leases
from kiwoom.state.redis.link import RedisLink
from kiwoom.state.redis.tokens import app_key_id


class RedisWorkerRegistry:
    """This worker's lease among the live workers of one app key."""

    def __init__(self, link: RedisLink, app_key: str, member: str, lease_s: float) -> None:
        self._leases = Leases(link, link.key("workers", app_key_id(app_key)), member, lease_s)

    async def renew(self) -> list[str]:
        """Extend this worker's lease; the ids of the live workers (this one included)."""
        return await self._leases.hold()

    async def release(self) -> None:
        await self._leases.drop()
