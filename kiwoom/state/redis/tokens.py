"""One access token per app key, shared by every worker.

The token lives under ``{ns}:v1:token:{app key hash}`` until its expiry; issuing is
guarded by a lock so that when it expires (or Kiwoom rejects it) exactly one worker
issues the next one and the others pick it up. The workers using it hold leases
(:class:`~kiwoom.state.redis.leases.Leases`, renewed by each one's heartbeat) rather than a
count, so a worker killed with ``-9`` drops out when its lease runs out and the last
*live* user revokes the token. The token value is stored in Redis:
treat that Redis as holding a secret (bind it to loopback or require a password).
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from typing import Any

from kiwoom.state.redis.leases import Leases
from kiwoom.state.redis.link import FORMAT_VERSION, RedisLink
from kiwoom.state.redis.results import UNLOCK_SCRIPT

_DISCARD = """
local raw = redis.call('GET', KEYS[1])
if raw and string.find(raw, ARGV[1], 1, true) then return redis.call('DEL', KEYS[1]) end
return 0
"""


def app_key_id(app_key: str) -> str:
    """A short, non-reversible id of an app key for key names (the key itself never goes in)."""
    return hashlib.sha256(app_key.encode()).hexdigest()[:16]


class RedisTokenStore:
    """Token, issue lock and user leases of one app key in Redis; ``member`` is this worker's id."""

    def __init__(self, link: RedisLink, app_key: str, *, member: str | None = None, lease_s: float = 15.0) -> None:
        self._link = link
        key_id = app_key_id(app_key)
        self._token_key = link.key("token", key_id)
        self._lock_key = link.key("token-lock", key_id)
        # Not the old "token-users" counter key: a leftover string there would make ZADD fail.
        self._users = Leases(link, link.key("token-leases", key_id), member or uuid.uuid4().hex, lease_s)

    async def load(self) -> tuple[str, float] | None:
        """(token, expires_at) if one is stored."""
        raw = await self._link.run(lambda r: r.get(self._token_key))
        if not raw:
            return None
        value: Any = json.loads(raw)
        if not isinstance(value, dict) or value.get("fmt") != FORMAT_VERSION:
            return None
        return str(value["token"]), float(value["expires_at"])

    async def store(self, token: str, expires_at: float) -> None:
        payload = json.dumps({"fmt": FORMAT_VERSION, "token": token, "expires_at": expires_at})
        await self._link.run(lambda r: r.set(self._token_key, payload, pxat=math.ceil(expires_at * 1000)))

    async def discard(self, token: str) -> None:
        """Delete the stored token only if it is ``token`` (a newer one stays)."""
        script = self._link.script("discard-token", _DISCARD)
        await self._link.run(lambda r: script(keys=[self._token_key], args=[json.dumps(token)], client=r))

    async def lock(self, owner: str, ttl_s: float = 15.0) -> bool:
        px = math.ceil(ttl_s * 1000)
        return bool(await self._link.run(lambda r: r.set(self._lock_key, owner, nx=True, px=px)))

    async def unlock(self, owner: str) -> None:
        """Release the issue lock if ``owner`` still holds it (it may have expired and passed on)."""
        script = self._link.script("unlock", UNLOCK_SCRIPT)
        await self._link.run(lambda r: script(keys=[self._lock_key], args=[owner], client=r))

    async def join(self) -> int:
        return len(await self._users.hold())

    async def renew(self) -> None:
        """Extend this worker's lease (re-taking it if it lapsed, e.g. across a Redis restart)."""
        await self._users.hold()

    async def leave(self) -> int:
        """Drop this worker's lease and the expired ones; the live users left."""
        return await self._users.drop()

    async def forget(self) -> None:
        await self._link.run(lambda r: r.delete(self._token_key, self._users.key))
