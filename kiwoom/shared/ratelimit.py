"""The per-api-id request budget of one app key, global across workers (an atomic Lua bucket).

Same reservation semantics as :class:`kiwoom.pacing.RatePacer`: each call takes a slot
and learns how long to wait for it, so callers in every process queue in one line. The
script reads Redis's own clock, so workers with skewed clocks still agree.
"""

from __future__ import annotations

from kiwoom.shared.link import RedisLink
from kiwoom.shared.tokens import app_key_id

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(v[1]) or burst
local ts = tonumber(v[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
if tokens >= 0 then return '0' end
return tostring(-tokens / rate)
"""


class SharedBucket:
    """Reserve request slots per api-id in Redis."""

    def __init__(self, link: RedisLink, app_key: str, rate_per_s: float, burst: int) -> None:
        self._link = link
        self._key_id = app_key_id(app_key)
        self._rate = rate_per_s
        self._burst = burst

    async def reserve(self, api_id: str) -> float:
        """Seconds to wait before sending ``api_id``; raises RedisUnavailableError."""
        script = self._link.script("reserve", _RESERVE)
        key = self._link.key("ratelimit", self._key_id, api_id)
        raw = await self._link.run(lambda r: script(keys=[key], args=[self._rate, self._burst], client=r))
        return float(raw)

    async def refund(self, api_id: str) -> None:
        """Return an unused slot (capped at the burst on the next reservation)."""
        key = self._link.key("ratelimit", self._key_id, api_id)
        await self._link.run(lambda r: r.hincrbyfloat(key, "tokens", 1.0))
