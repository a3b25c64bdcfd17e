"""The response cache and cross-process single-flight in Redis.

Values are stored as JSON with their format version, the wall-clock time they were
stored and their TTL; Redis drops them at TTL + stale window, so stale-if-error works
across workers too. A flight lock lets one worker load a key while the others wait for
the value to appear, which keeps upstream requests at one per key per TTL window however
many workers are asked. The lock is a short lease that its holder renews while it loads:
a holder that dies (or loses its Redis connection) stops renewing, so its lock is free
again within one lease instead of stalling every caller of the key for a whole call
deadline. Taking the lock is re-entrant for its owner, so a worker never waits on a
lock it left behind itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from kiwoom.state.protocols import StoredResult
from kiwoom.state.redis.link import FORMAT_VERSION, RedisLink

#: Delete a lock only if its value is still the caller's owner id (shared by the token lock).
UNLOCK_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

#: Take the lock if it is free, or extend it if ``owner`` already holds it (re-entrant).
_TRY_LOCK = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

#: Extend the lease only while ``owner`` still holds it (a lapsed lease taken over stays taken).
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class RedisResultStore:
    """Cache entries and flight locks under ``{ns}:v1:cache:*`` and ``{ns}:v1:flight:*``."""

    def __init__(self, link: RedisLink, *, wall: Callable[[], float], stale_window_s: float) -> None:
        self._link = link
        self._wall = wall
        self._stale_window_s = stale_window_s

    async def get(self, key: str) -> StoredResult | None:
        """The entry for ``key`` (fresh or stale), or None; raises RedisUnavailableError."""
        raw = await self._link.run(lambda r: r.get(self._link.key("cache", key)))
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(value, dict) or value.get("fmt") != FORMAT_VERSION:
            return None  # written by another format version: never misread it
        age = max(0.0, self._wall() - float(value["stored_at"]))
        return StoredResult(value["data"], age, float(value["ttl"]))

    async def set(self, key: str, data: dict[str, Any], ttl_s: float) -> None:
        payload = json.dumps(
            {"fmt": FORMAT_VERSION, "stored_at": self._wall(), "ttl": ttl_s, "data": data}, ensure_ascii=False
        )
        expire_ms = max(1, math.ceil((ttl_s + self._stale_window_s) * 1000))
        await self._link.run(lambda r: r.set(self._link.key("cache", key), payload, px=expire_ms))

    async def try_lock(self, key: str, owner: str, ttl_s: float) -> bool:
        """Take (or, when ``owner`` already holds it, extend) the flight lock of ``key`` for ``ttl_s``."""
        return await self._lease("try_lock", _TRY_LOCK, key, owner, ttl_s)

    async def renew(self, key: str, owner: str, ttl_s: float) -> bool:
        """Extend ``owner``'s lease on ``key`` to ``ttl_s`` from now; False if it is no longer ``owner``'s."""
        return await self._lease("renew", _RENEW, key, owner, ttl_s)

    async def _lease(self, name: str, source: str, key: str, owner: str, ttl_s: float) -> bool:
        script = self._link.script(f"flight-{name}", source)
        px = max(1, math.ceil(ttl_s * 1000))
        flight = self._link.key("flight", key)
        return bool(await self._link.run(lambda r: script(keys=[flight], args=[owner, px], client=r)))

    async def unlock(self, key: str, owner: str) -> None:
        script = self._link.script("unlock", UNLOCK_SCRIPT)
        await self._link.run(lambda r: script(keys=[self._link.key("flight", key)], args=[owner], client=r))

    async def locked(self, key: str) -> bool:
        return bool(await self._link.run(lambda r: r.exists(self._link.key("flight", key))))
