"""Leases in Redis: a sorted set of members scored by when their lease runs out.

A counter of users cannot tell a worker that left from one that was killed (``-9`` never
decrements it), so anything that must notice departures keeps leases instead: each member
renews its own from a heartbeat, every write prunes the expired ones, and a member that
stopped renewing drops out by itself. Expiry is judged on Redis's clock (``TIME``), so
workers with skewed clocks agree.
"""

from __future__ import annotations

import math

from kiwoom.state.redis.link import RedisLink

# Prune, (re)take the lease, keep the set no longer than a lease, and list who is live.
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""

_DROP = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
"""


class Leases:
    """``member``'s lease in the set under ``key``; the other members are whoever renews theirs."""

    def __init__(self, link: RedisLink, key: str, member: str, lease_s: float) -> None:
        self._link = link
        self.key = key
        self.member = member
        self._lease_ms = max(1, math.ceil(lease_s * 1000))

    async def hold(self) -> list[str]:
        """Take or extend the lease; the live members, this one included."""
        script = self._link.script("lease-hold", _HOLD)
        raw = await self._link.run(lambda r: script(keys=[self.key], args=[self.member, self._lease_ms], client=r))
        return [str(m) for m in raw]

    async def drop(self) -> int:
        """Give the lease up; how many live members remain."""
        script = self._link.script("lease-drop", _DROP)
        return int(await self._link.run(lambda r: script(keys=[self.key], args=[self.member], client=r)))
