"""Redis side of the shared real-time socket: the leader lock, its heartbeat, the workers' wants, two channels.

Kiwoom holds one WebSocket per app key; when several workers serve one port, one of them
(the leader) holds it and the others follow. The keys, all under the app key's id (never
the key itself):

* ``stream-leader:{id}``: the lock, the leader's worker id, ``PX`` = the lease. Taken with
  "set if absent", renewed with "extend if mine" (one script, so a lapsed lease that
  another worker took is never extended); released with "delete if mine".
* ``stream-status:{id}``: the leader's stream status (JSON), written with the same ``PX``
  in the same script: when it is gone, no leader renewed within a lease.
* ``stream-wants:{id}``: a sorted set of ``[worker, kind, item]`` members scored by when
  that worker's interest runs out (Redis's clock, as :mod:`~kiwoom.state.redis.leases`):
  a killed worker's wants lapse by themselves, and the union of live members is what the
  leader registers upstream.
* channels ``stream-ticks:{id}`` (ticks, JSON) and ``stream-control:{id}`` (``wants``:
  someone's wants changed, reconcile now).
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterable
from typing import Any

from redis.asyncio.client import PubSub

from kiwoom.realtime.feed import FeedStatus, Pair
from kiwoom.realtime.ticks import REAL_TYPES, RealType, Tick
from kiwoom.state.redis.link import RedisLink
from kiwoom.state.redis.tokens import app_key_id

_KINDS: dict[str, RealType] = {kind: kind for kind in REAL_TYPES}
_STATUS_FIELDS = ("state", "since", "last_message_at", "reconnects", "subscribed", "last_error")
#: Control message: some worker's wants changed, the leader should reconcile at once.
WANTS_CHANGED = "wants"

# Take the lock when free, extend it when ours; the leader writes its heartbeat in the same step.
# Returns {holder, heartbeat}: a follower learns who leads and how the leader's stream is.
_CLAIM = """
local holder = redis.call('GET', KEYS[1])
if (not holder) or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
  return {ARGV[1], ARGV[3]}
end
return {holder, redis.call('GET', KEYS[2]) or ''}
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# (Re)take this worker's lease on each of its pairs, prune lapsed ones, keep the set no longer than a lease.
_HOLD_WANTS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], now + lease, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], lease)
return 1
"""

_LIVE_WANTS = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)
"""


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


class RedisStreamLeader:
    """One worker's view of the shared socket's state; every call raises ``RedisUnavailableError`` on failure."""

    def __init__(self, link: RedisLink, app_key: str, member: str, *, lease_s: float, wants_lease_s: float) -> None:
        key_id = app_key_id(app_key)
        self._link = link
        self.member = member
        self.lock_key = link.key("stream-leader", key_id)
        self.status_key = link.key("stream-status", key_id)
        self.wants_key = link.key("stream-wants", key_id)
        self.ticks_channel = link.key("stream-ticks", key_id)
        self.control_channel = link.key("stream-control", key_id)
        self._lease_ms = _ms(lease_s)
        self._wants_lease_ms = _ms(wants_lease_s)

    # ------------------------------------------------------------------ leadership

    async def claim(self, heartbeat: str) -> tuple[str, str | None]:
        """Take or keep the lock, writing ``heartbeat`` if this worker leads; (holder, the leader's heartbeat)."""
        script = self._link.script("stream-claim", _CLAIM)
        keys, args = [self.lock_key, self.status_key], [self.member, self._lease_ms, heartbeat]
        holder, status = await self._link.run(lambda r: script(keys=keys, args=args, client=r))
        return str(holder), (str(status) or None)

    async def release(self) -> bool:
        """Give the lock up (and its heartbeat) if this worker still holds it."""
        script = self._link.script("stream-release", _RELEASE)
        keys = [self.lock_key, self.status_key]
        return bool(await self._link.run(lambda r: script(keys=keys, args=[self.member], client=r)))

    # ------------------------------------------------------------------ wants

    def _member(self, pair: Pair) -> str:
        return json.dumps([self.member, pair[0], pair[1]], ensure_ascii=False, separators=(",", ":"))

    async def hold_wants(self, pairs: Iterable[Pair]) -> None:
        """Take or extend this worker's lease on each pair."""
        members = [self._member(pair) for pair in pairs]
        if not members:
            return
        script = self._link.script("stream-hold-wants", _HOLD_WANTS)
        args: list[Any] = [self._wants_lease_ms, *members]
        await self._link.run(lambda r: script(keys=[self.wants_key], args=args, client=r))

    async def drop_wants(self, pairs: Iterable[Pair]) -> None:
        members = [self._member(pair) for pair in pairs]
        if members:
            await self._link.run(lambda r: r.zrem(self.wants_key, *members))

    async def live_wants(self) -> set[Pair]:
        """The union of every live worker's pairs (lapsed leases pruned first)."""
        script = self._link.script("stream-live-wants", _LIVE_WANTS)
        raw = await self._link.run(lambda r: script(keys=[self.wants_key], client=r))
        pairs: set[Pair] = set()
        for member in raw:
            try:
                _, kind, item = json.loads(member)
            except (ValueError, TypeError):
                continue  # not ours: skip rather than fail the whole union
            if kind in _KINDS:
                pairs.add((_KINDS[kind], str(item)))
        return pairs

    # ------------------------------------------------------------------ channels

    async def announce(self, message: str = WANTS_CHANGED) -> None:
        await self._link.run(lambda r: r.publish(self.control_channel, message))

    async def publish_ticks(self, payloads: list[str]) -> int:
        """Publish a batch of encoded ticks in one round trip; how many subscribers got the last one."""

        async def send(r: Any) -> int:
            pipe = r.pipeline(transaction=False)
            for payload in payloads:
                pipe.publish(self.ticks_channel, payload)
            receivers = await pipe.execute()
            return int(receivers[-1]) if receivers else 0

        return await self._link.run(send)

    async def subscribe(self) -> PubSub:
        """A pub/sub connection on both channels (held until closed: one pool connection per worker)."""
        pubsub = self._link.redis.pubsub(ignore_subscribe_messages=True)

        async def join(_r: Any) -> None:
            await pubsub.subscribe(self.ticks_channel, self.control_channel)

        try:
            await self._link.run(join)
        except BaseException:
            await close_pubsub(pubsub)
            raise
        return pubsub

    async def receive(self, pubsub: PubSub, timeout_s: float) -> tuple[str, str] | None:
        """The next (channel, data) within ``timeout_s``, or None."""
        message = await self._link.run(lambda _r: pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout_s))
        if not isinstance(message, dict) or message.get("type") != "message":
            return None
        return str(message["channel"]), str(message["data"])


async def close_pubsub(pubsub: PubSub) -> None:
    """Give the pub/sub connection back (quietly: it is closed because something already went wrong or we stop)."""
    with contextlib.suppress(Exception):
        await pubsub.aclose()  # type: ignore[no-untyped-call]


# ---------------------------------------------------------------------- wire formats


def checked_pair(pair: Pair) -> Pair:
    """``pair`` if its kind is one this client registers; a bad one fails here, not in the leader's process."""
    kind, item = pair
    if kind not in _KINDS:
        raise ValueError(f"실시간 항목 type 은 {', '.join(REAL_TYPES)} 중 하나여야 합니다: {kind!r}")
    return (_KINDS[kind], str(item))


def encode_tick(tick: Tick) -> str:
    payload = {
        "kind": tick.kind,
        "item": tick.item,
        "values": dict(tick.values),
        "received_at": tick.received_at,
        "seq": tick.seq,
        "origin": tick.origin,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def decode_tick(raw: str) -> Tick | None:
    """A published tick, or None for anything malformed (never let one message break the fan-in)."""
    try:
        data: Any = json.loads(raw)
        kind, origin, values = data["kind"], data.get("origin", "stream"), data["values"]
        if kind not in REAL_TYPES or origin not in ("stream", "backfill") or not isinstance(values, dict):
            return None
        return Tick(
            kind,
            str(data["item"]),
            {str(k): str(v) for k, v in values.items()},
            float(data["received_at"]),
            int(data.get("seq", 0)),
            origin,
        )
    except (ValueError, TypeError, KeyError):
        return None


def encode_status(status: FeedStatus) -> str:
    return json.dumps({name: getattr(status, name) for name in _STATUS_FIELDS}, ensure_ascii=False)


def decode_status(raw: str | None) -> FeedStatus | None:
    if not raw:
        return None
    try:
        data: Any = json.loads(raw)
        fields = {name: data.get(name) for name in _STATUS_FIELDS}
        if fields["state"] not in ("stopped", "connecting", "up", "down"):
            return None
        fields["reconnects"] = int(fields["reconnects"] or 0)
        fields["subscribed"] = int(fields["subscribed"] or 0)
        return FeedStatus(**fields)
    except (ValueError, TypeError, AttributeError):
        return None
