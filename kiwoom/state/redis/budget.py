"""The per-api-id request budget of one app key, global across workers (an atomic Lua bucket).

Same semantics as :class:`kiwoom.state.memory.MemoryRateBudget`: a caller takes a token only when one
is there (at send time), else learns how long until the next is due. The script reads
Redis's own clock, so workers with skewed clocks still agree.
"""

from __future__ import annotations

from kiwoom.state.redis.link import RedisLink
from kiwoom.state.redis.tokens import app_key_id

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1]) or burst
local ts = tonumber(v[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate)
local wait = 0
if tokens >= 1 - 1e-9 then tokens = math.max(tokens - 1, 0) else wait = math.max((1 - tokens) / rate, 0.001) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisRateBudget:
    """Reserve request slots per api-id in Redis."""

    def __init__(self, link: RedisLink, app_key: str, rate_per_s: float, burst: int) -> None:
        self._link = link
        self._key_id = app_key_id(app_key)
        self._rate = rate_per_s
        self._burst = burst

    async def try_take(self, api_id: str) -> float:
        """0 when a token was taken for ``api_id``, else seconds until one is due; raises RedisUnavailableError."""
        script = self._link.script("take", _TAKE)
        key = self._link.key("ratelimit", self._key_id, api_id)
        raw = await self._link.run(lambda r: script(keys=[key], args=[self._rate, self._burst], client=r))
        return float(raw)

    async def refund(self, api_id: str) -> None:
        """Return an unused slot (capped at the burst on the next reservation)."""
        key = self._link.key("ratelimit", self._key_id, api_id)
        await self._link.run(lambda r: r.hincrbyfloat(key, "tokens", 1.0))
