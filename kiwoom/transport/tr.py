"""One TR call: headers, the single token re-issue, pacing and continuation pages.

This layer knows the Kiwoom request shape (``api-id``, ``authorization``, ``cont-yn``,
``next-key``) but nothing about what a TR means; :mod:`kiwoom.client` turns pages into
results.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2

from kiwoom.errors import (
    BreakerOpenError,
    KiwoomAPIError,
    KiwoomError,
    KiwoomHTTPError,
    KiwoomResponseError,
    KiwoomTimeoutError,
    KiwoomTransportError,
    TokenExpiredError,
)
from kiwoom.observe import ClientObserver
from kiwoom.transport.http import Reply, post_json
from kiwoom.transport.pacing import PacingCancelledError, RatePacer
from kiwoom.transport.protocol import TR_PATHS
from kiwoom.transport.tokens import AlwaysSend, SendGate, TokenManager

logger = logging.getLogger("kiwoom.transport")


def outcome_label(exc: KiwoomError) -> str:
    """A short label of a failed exchange for metrics: a status, a detail code or a failure kind."""
    if isinstance(exc, KiwoomAPIError):
        return str(exc.code if exc.code is not None else exc.status_code)
    if isinstance(exc, KiwoomHTTPError):
        return str(exc.status_code)
    if isinstance(exc, KiwoomTimeoutError):
        return "timeout"
    if isinstance(exc, KiwoomTransportError):
        return "transport_error"
    if isinstance(exc, KiwoomResponseError):
        return "bad_response"
    return type(exc).__name__


class TRTransport:
    """Sends TRs with a valid token, paced per api-id, following pages on request."""

    def __init__(
        self,
        http: httpx2.AsyncClient,
        tokens: TokenManager,
        pacer: RatePacer,
        *,
        gate: SendGate | None = None,
        page_delay_s: float = 0.2,
        max_pages: int = 20,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        observer: ClientObserver | None = None,
    ) -> None:
        self._http = http
        self._tokens = tokens
        self._pacer = pacer
        self._gate: SendGate = gate if gate is not None else AlwaysSend()
        self._page_delay_s = page_delay_s
        self._max_pages = max_pages
        self._sleep = sleep
        self.observer = observer or ClientObserver()
        self.requests_sent = 0

    async def request(
        self, api_id: str, body: dict[str, Any], *, next_key: str | None = None, wait: bool = True
    ) -> Reply:
        """One page of ``api_id``; on 8005/8031/8103 a new token is issued and the page asked once more.

        With ``wait=False`` it raises :class:`~kiwoom.transport.pacing.WouldWaitError` instead
        of queuing behind the rate limit (a caller with another way to ask, e.g. a batch).
        """
        path = TR_PATHS[api_id]
        for attempt in range(2):
            token = await self._tokens.get()
            try:
                await self._pacer.acquire(api_id, self._may_send, wait=wait or attempt > 0)
            except PacingCancelledError:
                raise BreakerOpenError() from None
            if not await self._may_send():
                await self._pacer.refund(api_id)
                raise BreakerOpenError()
            headers = {"api-id": api_id, "authorization": f"Bearer {token.value}"}
            if next_key:
                headers["cont-yn"] = "Y"
                headers["next-key"] = next_key
            self.requests_sent += 1
            started = time.perf_counter()
            try:
                reply = await post_json(self._http, path, body, api_id=api_id, headers=headers)
            except TokenExpiredError as exc:
                self.observer.upstream_request(api_id, str(exc.code), time.perf_counter() - started)
                if attempt:
                    raise
                logger.warning("토큰 거부됨 (%s), 재발급 후 1회 재요청: %s", exc.code, api_id)
                await self._tokens.invalidate(token)
                continue
            except KiwoomError as exc:
                self.observer.upstream_request(api_id, outcome_label(exc), time.perf_counter() - started)
                raise
            self.observer.upstream_request(api_id, str(reply.status_code), reply.elapsed_s)
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    async def _may_send(self) -> bool:
        return not await self._gate.is_open()

    async def pages(
        self,
        api_id: str,
        body: dict[str, Any],
        *,
        enough: Callable[[list[Reply]], bool] = lambda _pages: False,
    ) -> list[Reply]:
        """Follow ``cont-yn``/``next-key`` with the same body until done, ``enough`` or ``max_pages``."""
        replies = [await self.request(api_id, body)]
        while replies[-1].cont_yn and not enough(replies):
            if not replies[-1].next_key:
                raise KiwoomResponseError(api_id, "cont-yn=Y 이지만 next-key 없음")
            if len(replies) >= self._max_pages:
                logger.info("%s: %d 페이지에서 연속조회 중단 (max_pages)", api_id, len(replies))
                break
            if self._page_delay_s:
                await self._sleep(self._page_delay_s)
            replies.append(await self.request(api_id, body, next_key=replies[-1].next_key))
        return replies
