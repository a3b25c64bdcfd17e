"""Access-token lifecycle: issue (au10001), early refresh, one re-issue, revoke (au10002).

Kiwoom tokens last about a day and are invalidated without notice (8005), for example
when the same key issues a token elsewhere. The manager hands out a token that is valid
for at least ``refresh_margin_s`` more seconds, issues at most one token at a time however
many callers ask together, and lets the transport report a rejected token so that exactly
one new token replaces it. Where the token is kept for other workers is the
:class:`~kiwoom.state.protocols.TokenStore`'s business (memory or Redis); the manager
only follows its protocol: look, lock, issue, store, join; on close leave, and revoke
only as the last user. Joining takes a lease, so while the manager is in use a heartbeat
task (real time: leases expire on Redis's clock) renews it, together with this worker's
place in the live-worker registry (:class:`~kiwoom.state.protocols.Presence`); a worker
that dies stops renewing, and the others stop counting it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import httpx2

from kiwoom.errors import BreakerOpenError, KiwoomError, KiwoomResponseError
from kiwoom.periodic import Periodic
from kiwoom.state.memory import MemoryTokenStore
from kiwoom.state.protocols import Presence, TokenStore
from kiwoom.transport.http import post_json
from kiwoom.transport.protocol import REVOKE_PATH, TOKEN_PATH
from krx.calendar import KST

logger = logging.getLogger("kiwoom.transport.tokens")


class SendGate(Protocol):
    """Asked right before a request is sent: the token issue here, each TR in :mod:`kiwoom.transport.tr`.

    The client passes its circuit breaker, so that while an outage holds it open no request
    goes out, a token request included: against a dead host it would only wait out a timeout.
    """

    async def is_open(self) -> bool:
        """True when requests must not be sent now."""


class AlwaysSend:
    """A gate that never stops a request (for tools and tests without a breaker)."""

    async def is_open(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A bearer token and its expiry (epoch seconds); the value never shows in repr."""

    value: str = field(repr=False)
    expires_at: float

    def remaining(self, now: float) -> float:
        return self.expires_at - now


def parse_expires_dt(raw: str) -> float:
    """``expires_dt`` (``YYYYMMDDHHMMSS``, Korea time) → epoch seconds."""
    try:
        moment = datetime.strptime(raw, "%Y%m%d%H%M%S").replace(tzinfo=KST)
    except (TypeError, ValueError):
        raise KiwoomResponseError("au10001", f"expires_dt 형식 오류: {raw!r}") from None
    return moment.timestamp()


class TokenManager:
    """Issues, caches, refreshes and revokes the token of one app key."""

    def __init__(
        self,
        http: httpx2.AsyncClient,
        app_key: str,
        secret_key: str,
        *,
        clock: Callable[[], float],
        refresh_margin_s: float = 600.0,
        store: TokenStore | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        issue_timeout_s: float = 30.0,
        presence: Presence | None = None,
        heartbeat_s: float = 0.0,
        gate: SendGate | None = None,
    ) -> None:
        self._http = http
        self._gate: SendGate = gate if gate is not None else AlwaysSend()
        self._app_key = app_key
        self._secret_key = secret_key
        self._clock = clock
        self._margin = refresh_margin_s
        self._token: AccessToken | None = None
        self._lock = asyncio.Lock()
        self._store: TokenStore = store if store is not None else MemoryTokenStore()
        self._sleep = sleep
        self._monotonic = monotonic
        self._owner = uuid.uuid4().hex
        self._joined = False
        # The issue lock outlives one token request (HTTP timeout), so a slow issue is never
        # doubled by a second worker; waiters wait as long before issuing on their own.
        self._lock_ttl_s = issue_timeout_s + 5.0
        self.issued_count = 0
        self._presence = presence
        self._heartbeat_s = heartbeat_s
        self._heartbeat: Periodic | None = None
        self._heartbeat_stopped = False

    def __repr__(self) -> str:
        return f"TokenManager(token={'set' if self._token else 'none'}, issued={self.issued_count})"

    @property
    def current(self) -> AccessToken | None:
        return self._token

    def is_valid(self) -> bool:
        """True when a token is held and outlives the refresh margin."""
        return self._token is not None and self._token.remaining(self._clock()) > self._margin

    async def get(self) -> AccessToken:
        """A token valid for at least the refresh margin, issuing one if needed."""
        if self._heartbeat is None and self._heartbeat_s > 0 and not self._heartbeat_stopped:
            self._heartbeat = Periodic(self._beat, self._heartbeat_s, name="kiwoom-lease-heartbeat", immediately=True)
        token = self._token
        if token is not None and token.remaining(self._clock()) > self._margin:
            return token
        async with self._lock:
            token = self._token
            if token is not None and token.remaining(self._clock()) > self._margin:
                return token
            self._token = await self._obtain()
            return self._token

    def _usable(self, token: AccessToken | None) -> bool:
        return token is not None and token.remaining(self._clock()) > self._margin

    async def _obtain(self) -> AccessToken:
        """A new token: the one another worker already issued, or one issued here under the store's lock."""
        give_up = self._monotonic() + self._lock_ttl_s
        while True:
            stored = await self._load_stored()
            if self._usable(stored):
                assert stored is not None
                await self._join_once()
                return stored
            if await self._store.lock(self._owner, self._lock_ttl_s):
                try:
                    stored = await self._load_stored()
                    if not self._usable(stored):
                        stored = await self._issue()
                        await self._store.store(stored.value, stored.expires_at)
                    assert stored is not None
                    await self._join_once()
                    return stored
                finally:
                    await self._store.unlock(self._owner)
            if self._monotonic() > give_up:
                return await self._issue()  # the lock holder died silently: do not wait forever
            await self._sleep(0.05)

    async def _load_stored(self) -> AccessToken | None:
        stored = await self._store.load()
        return AccessToken(*stored) if stored else None

    async def _join_once(self) -> None:
        """Count this process among the users of the token, once (see :meth:`revoke`)."""
        if not self._joined:
            self._joined = await self._store.join() > 0

    async def _beat(self) -> bool:
        """Renew the registry lease and (once joined) the token lease (every ``heartbeat_s`` seconds)."""
        try:
            if self._presence is not None:
                await self._presence.renew()
            if self._joined:
                await self._store.renew()
        except Exception as exc:  # a dead heartbeat would let live leases lapse: keep beating
            logger.warning("하트비트 갱신 실패: %s", type(exc).__name__)
        return True

    async def stop_heartbeat(self) -> None:
        """Stop renewing (close, or a reconnect that drops this manager); the leases then lapse or are left."""
        self._heartbeat_stopped = True
        heartbeat, self._heartbeat = self._heartbeat, None
        if heartbeat is not None:
            await heartbeat.stop()

    async def invalidate(self, rejected: AccessToken) -> None:
        """Forget ``rejected`` so that the next :meth:`get` issues a new token.

        Only the token that was rejected is dropped: if another caller (or worker) has
        already replaced it, the fresh token stays and no second issue happens.
        """
        if self._token is rejected:
            self._token = None
        await self._store.discard(rejected.value)

    async def _issue(self) -> AccessToken:
        if await self._gate.is_open():
            raise BreakerOpenError()
        body = {"grant_type": "client_credentials", "appkey": self._app_key, "secretkey": self._secret_key}
        reply = await post_json(self._http, TOKEN_PATH, body, api_id="au10001")
        value = reply.body.get("token")
        if not isinstance(value, str) or not value:
            raise KiwoomResponseError("au10001", "token 필드 없음")
        expires_at = parse_expires_dt(str(reply.body.get("expires_dt", "")))
        self.issued_count += 1
        logger.info(
            "접근토큰 발급 완료 (만료 %s)",
            datetime.fromtimestamp(expires_at, KST).isoformat(timespec="seconds"),
        )
        return AccessToken(value, expires_at)

    async def revoke(self) -> bool:
        """Revoke the held token (au10002); errors are logged, not raised, as this runs on close."""
        await self.stop_heartbeat()
        if self._presence is not None:
            await self._presence.release()
        token, self._token = self._token, None
        if token is None:
            return False
        if not self._joined:
            logger.info("공유 접근토큰 사용자로 등록되지 않음: 폐기 생략")
            return False
        self._joined = False
        if await self._store.leave() > 0:
            logger.info("공유 접근토큰을 다른 워커가 사용 중: 폐기 생략")
            return False
        # Another worker may have replaced the shared token after Kiwoom rejected this one (8005):
        # the last user out revokes the token the workers share now, not its own stale copy.
        shared = await self._load_stored()
        if shared is not None:
            token = shared
        await self._store.forget()
        body = {"appkey": self._app_key, "secretkey": self._secret_key, "token": token.value}
        try:
            await post_json(self._http, REVOKE_PATH, body, api_id="au10002")
        except KiwoomError as exc:
            logger.warning("접근토큰 폐기 실패: %s", exc)
            return False
        logger.info("접근토큰 폐기 완료")
        return True
