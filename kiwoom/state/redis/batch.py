"""The batch queue in Redis: every worker's codes in one queue, one window, one sender per window.

Kiwoom allows about one ka10095 a second per app key, so the workers behind one port must
not each send their own batch in the same second. They queue their codes in one sorted
set (scored by a shared counter, so oldest first), and the worker that takes the window
key sends up to 100 of them, whoever queued them, then publishes an outcome per code
(``batch-outcome``, kept briefly) that the other workers poll for their waiting callers.
Claiming the window succeeds only while codes are queued, so a worker whose codes another
worker already took never burns a window on an empty batch.
"""

from __future__ import annotations

import json
from typing import Any

from kiwoom.state.protocols import BatchOutcome
from kiwoom.state.redis.link import RedisLink
from kiwoom.state.redis.tokens import app_key_id

#: How long a published outcome stays readable: waiters poll every few tens of milliseconds.
OUTCOME_TTL_MS = 10_000

_ENQUEUE = """
local seq = redis.call('ZSCORE', KEYS[1], ARGV[1])
if seq then return tonumber(seq) end
seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], seq, ARGV[1])
return seq
"""

_CLAIM = """
if redis.call('ZCARD', KEYS[1]) == 0 then return -1 end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
return math.max(redis.call('PTTL', KEYS[2]), 1)
"""


class RedisBatchQueue:
    """Queued codes under ``{ns}:v1:batch:{key}:{api}:queued``, the window beside them."""

    shared = True

    def __init__(self, link: RedisLink, app_key: str, api_id: str) -> None:
        self._link = link
        self._base = (app_key_id(app_key), api_id)

    def _key(self, part: str, *more: str) -> str:
        return self._link.key("batch", *self._base, part, *more)

    async def enqueue(self, code: str) -> int:
        script = self._link.script("batch-enqueue", _ENQUEUE)
        keys = [self._key("queued"), self._key("seq")]
        return int(await self._link.run(lambda r: script(keys=keys, args=[code], client=r)))

    async def claim(self, owner: str, window_s: float) -> float:
        script = self._link.script("batch-claim", _CLAIM)
        keys = [self._key("queued"), self._key("window")]
        window_ms = max(int(window_s * 1000), 1)
        answer = int(await self._link.run(lambda r: script(keys=keys, args=[owner, window_ms], client=r)))
        return answer / 1000 if answer > 0 else float(answer)

    async def take(self, limit: int) -> tuple[list[str], int]:
        popped: list[Any] = await self._link.run(lambda r: r.zpopmin(self._key("queued"), limit))
        codes = [str(code) for code, _ in popped]
        return codes, int(max((float(score) for _, score in popped), default=0))

    async def publish(self, outcomes: dict[str, BatchOutcome]) -> None:
        async def write(r: Any) -> None:
            async with r.pipeline(transaction=False) as pipe:
                for code, outcome in outcomes.items():
                    pipe.set(self._key("outcome", code), _encode(outcome), px=OUTCOME_TTL_MS)
                await pipe.execute()

        if outcomes:
            await self._link.run(write)

    async def outcomes(self, codes: list[str]) -> dict[str, BatchOutcome]:
        if not codes:
            return {}
        raw = await self._link.run(lambda r: r.mget([self._key("outcome", code) for code in codes]))
        found = {code: _decode(str(value)) for code, value in zip(codes, raw, strict=True) if value}
        return {code: outcome for code, outcome in found.items() if outcome is not None}


def _encode(outcome: BatchOutcome) -> str:
    return json.dumps(
        {"seq": outcome.seq, "row": outcome.row, "error": outcome.error, "retryable": outcome.retryable},
        ensure_ascii=False,
    )


def _decode(raw: str) -> BatchOutcome | None:
    """The outcome stored as ``raw``, or None for a value this version cannot read."""
    try:
        value = json.loads(raw)
        return BatchOutcome(int(value["seq"]), value["row"], value["error"], bool(value["retryable"]))
    except (ValueError, KeyError, TypeError):
        return None
