"""One circuit breaker for every worker, in Redis.

It follows :class:`~kiwoom.resilience.breaker.CircuitBreaker` exactly: a failure opens it
when the sliding window holds at least ``min_requests`` outcomes of which at least
``failure_rate`` failed; the window is the same ``WINDOW_BUCKETS`` buckets, so the workers'
requests add up as those of one client (Kiwoom sees one app key, not a process).

Shared state is four keys under ``{ns}:v1:breaker:*``: ``window`` (a hash of
``r:<bucket>`` requests and ``f:<bucket>`` failures, pruned on every record and expiring
when idle), ``open`` (exists while cooling down, expires after the cool-down),
``tripped`` (set while the breaker has opened and not yet recovered: when ``open`` has
expired, this makes it half-open) and ``probe`` (the one request let through while
half-open). Buckets are numbered on Redis's clock (``TIME``), so workers whose clocks
disagree still share one window; Lua scripts keep each transition atomic. Each method
raises :class:`RedisUnavailableError` when Redis is unreachable;
:mod:`kiwoom.state.degrading` then lets the in-process breaker decide.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from kiwoom.resilience.breaker import WINDOW_BUCKETS, BreakerState
from kiwoom.state.redis.link import RedisLink

# Shared by the scripts below: the current bucket on Redis's clock, and the window's totals
# (pruning buckets that have left it when ``prune`` is true).
_WINDOW = """
local function current_bucket(bucket_ms)
  local t = redis.call('TIME')
  return math.floor((tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) / bucket_ms)
end
local function totals(key, current, buckets, prune)
  local flat = redis.call('HGETALL', key)
  local requests, failures = 0, 0
  for i = 1, #flat, 2 do
    local kind, bucket = string.match(flat[i], '^(%a):(%d+)$')
    if tonumber(bucket) <= current - buckets then
      if prune then redis.call('HDEL', key, flat[i]) end
    elseif kind == 'f' then
      failures = failures + tonumber(flat[i + 1])
    else
      requests = requests + tonumber(flat[i + 1])
    end
  end
  return requests, failures
end
"""

_ALLOW = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'open' end
if redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[1]) then return 'probe' end
  return 'busy'
end
return 'closed'
"""

# ARGV: 1 failed (1/0), 2 bucket ms, 3 buckets, 4 min requests, 5 failure rate, 6 cool-down ms
_RECORD = (
    _WINDOW
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'open' end
local failed = ARGV[1] == '1'
if redis.call('EXISTS', KEYS[2]) == 1 then
  if not failed then
    redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
    return 'closed'
  end
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[6])
  redis.call('DEL', KEYS[3])
  return 'open'
end
local bucket_ms, buckets = tonumber(ARGV[2]), tonumber(ARGV[3])
local current = current_bucket(bucket_ms)
redis.call('HINCRBY', KEYS[4], 'r:' .. current, 1)
if failed then redis.call('HINCRBY', KEYS[4], 'f:' .. current, 1) end
redis.call('PEXPIRE', KEYS[4], bucket_ms * buckets)
if not failed then
  totals(KEYS[4], current, buckets, true)
  return 'closed'
end
local requests, failures = totals(KEYS[4], current, buckets, true)
if requests >= tonumber(ARGV[4]) and failures >= tonumber(ARGV[5]) * requests then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[6])
  redis.call('SET', KEYS[2], '1')
  redis.call('DEL', KEYS[3], KEYS[4])
  return 'open'
end
return 'closed'
"""
)

_STATE = (
    _WINDOW
    + """
local requests, failures = totals(KEYS[4], current_bucket(tonumber(ARGV[1])), tonumber(ARGV[2]), false)
if redis.call('EXISTS', KEYS[1]) == 1 then return {'open', requests, failures, redis.call('PTTL', KEYS[1])} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'half_open', requests, failures, 0} end
return {'closed', requests, failures, -1}
"""
)


class RedisBreaker:
    """The shared breaker; ``on_change(old, new)`` reports each transition it observes, once."""

    def __init__(
        self,
        link: RedisLink,
        *,
        min_requests: int,
        failure_rate: float,
        window_s: float,
        cooldown_s: float,
        on_change: Callable[[str, str], None],
    ) -> None:
        self._link = link
        self._min_requests = min_requests
        self._failure_rate = repr(float(failure_rate))  # exact in Lua's doubles too
        self._bucket_ms = max(1, round(window_s * 1000 / WINDOW_BUCKETS))
        self._cooldown_ms = max(1, math.ceil(cooldown_s * 1000))
        self._on_change = on_change
        self._seen = BreakerState.CLOSED.value
        self._keys = [link.key("breaker", part) for part in ("open", "tripped", "probe", "window")]

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
        await self._record(failed=False)

    async def record_failure(self) -> None:
        await self._record(failed=True)

    async def _record(self, *, failed: bool) -> None:
        verdict = await self._eval(
            "breaker-record",
            _RECORD,
            int(failed),
            self._bucket_ms,
            WINDOW_BUCKETS,
            self._min_requests,
            self._failure_rate,
            self._cooldown_ms,
        )
        self._observe(verdict)

    async def release_probe(self) -> None:
        await self._link.run(lambda r: r.delete(self._keys[2]))

    async def snapshot(self) -> dict[str, Any]:
        state, requests, failures, pttl = await self._eval("breaker-state", _STATE, self._bucket_ms, WINDOW_BUCKETS)
        retry_in = round(int(pttl) / 1000, 1) if int(pttl) >= 0 else None
        return {
            "state": state,
            "window_requests": int(requests),
            "window_failures": int(failures),
            "retry_in_s": retry_in,
            "shared": True,
        }
