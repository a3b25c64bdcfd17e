"""One circuit breaker for every worker, in Redis.

Shared state is four keys under ``{ns}:v1:breaker:*``: ``failures`` (consecutive),
``open`` (exists while cooling down, expires after the cool-down), ``tripped`` (set while
the breaker has opened and not yet recovered: when ``open`` has expired, this makes it
half-open) and ``probe`` (the one request let through while half-open). Lua scripts keep
each transition atomic. Each method raises :class:`RedisUnavailableError` when Redis is
unreachable; :mod:`kiwoom.state.degrading` then lets the in-process breaker decide.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from kiwoom.resilience.breaker import BreakerState
from kiwoom.state.redis.link import RedisLink

_ALLOW = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'open' end
if redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[1]) then return 'probe' end
  return 'busy'
end
return 'closed'
"""

_FAIL = """
local n = redis.call('INCR', KEYS[4])
redis.call('PEXPIRE', KEYS[4], ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 1 then return 'open' end
if redis.call('EXISTS', KEYS[2]) == 1 or n >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[3])
  redis.call('SET', KEYS[2], '1')
  redis.call('DEL', KEYS[3])
  return 'open'
end
return 'closed'
"""

_STATE = """
local failures = tonumber(redis.call('GET', KEYS[4]) or '0')
if redis.call('EXISTS', KEYS[1]) == 1 then return {'open', failures, redis.call('PTTL', KEYS[1])} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'half_open', failures, 0} end
return {'closed', failures, -1}
"""


class RedisBreaker:
    """The shared breaker; ``on_change(old, new)`` reports each transition it observes, once."""

    def __init__(
        self,
        link: RedisLink,
        *,
        failure_threshold: int,
        cooldown_s: float,
        on_change: Callable[[str, str], None],
    ) -> None:
        self._link = link
        self._threshold = failure_threshold
        self._cooldown_ms = max(1, math.ceil(cooldown_s * 1000))
        self._on_change = on_change
        self._seen = BreakerState.CLOSED.value
        self._keys = [link.key("breaker", part) for part in ("open", "tripped", "probe", "failures")]

    def _observe(self, state: str) -> None:
        if state != self._seen:
            old, self._seen = self._seen, state
            self._on_change(old, state)

    async def _eval(self, name: str, source: str, *args: object) -> Any:
        script = self._link.script(name, source)
        return await self._link.run(lambda r: script(keys=self._keys, args=list(args), client=r))

    async def allow(self) -> bool:
        verdict = await self._eval("breaker-allow", _ALLOW, self._cooldown_ms)
        self._observe({"probe": "half_open", "busy": "half_open"}.get(verdict, verdict))
        return verdict in ("closed", "probe")

    async def is_open(self) -> bool:
        return bool(await self._link.run(lambda r: r.exists(self._keys[0])))

    async def record_success(self) -> None:
        await self._link.run(lambda r: r.delete(*self._keys))
        self._observe(BreakerState.CLOSED.value)

    async def record_failure(self) -> None:
        verdict = await self._eval("breaker-fail", _FAIL, self._threshold, self._cooldown_ms * 10, self._cooldown_ms)
        self._observe(verdict)

    async def release_probe(self) -> None:
        await self._link.run(lambda r: r.delete(self._keys[2]))

    async def snapshot(self) -> dict[str, Any]:
        state, failures, pttl = await self._eval("breaker-state", _STATE)
        retry_in = round(int(pttl) / 1000, 1) if int(pttl) >= 0 else None
        return {"state": state, "consecutive_failures": int(failures), "retry_in_s": retry_in, "shared": True}
