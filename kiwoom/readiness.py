"""Whether the client can serve data now, judged without costing Kiwoom a request per probe.

A held token is not enough to call the client ready: Kiwoom can refuse every data request
with an auth error (8005 even after the one re-issue, or a revoked key) while the token
looks valid. So the client tells :class:`Readiness` how each data call's upstream load
ended, and an auth error that survived the transport's one re-issue marks it not ready
until a later data call, or a token issue, succeeds.

Readiness also tries to get a token itself (a server that started before Kiwoom was
reachable must turn ready without waiting for a tool call), but an orchestrator probes
every few seconds: unbounded, that is one au10001 per probe while Kiwoom refuses the keys.
Its own attempts are therefore at most one per ``token_interval_s``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from kiwoom.errors import KiwoomAuthError, KiwoomError
from kiwoom.transport.tokens import TokenManager

T = TypeVar("T")


class Readiness:
    """The latest data call's auth outcome, and the pace of readiness' own token attempts."""

    def __init__(self, *, token_interval_s: float, monotonic: Callable[[], float]) -> None:
        self.token_interval_s = token_interval_s
        self._monotonic = monotonic
        self._next_attempt_at = -math.inf
        #: Why the latest data call was refused for auth, or None while calls are not refused.
        self.auth_error: str | None = None

    async def track(self, load: Awaitable[T]) -> T:
        """Await one data call's upstream load, noting whether auth let it through."""
        try:
            value = await load
        except KiwoomAuthError as exc:
            self.auth_error = str(exc)
            # The call's own token re-issue was the latest attempt: the probe waits an interval before another.
            self._next_attempt_at = self._monotonic() + self.token_interval_s
            raise
        self.auth_error = None
        return value

    def token_issued(self) -> None:
        self.auth_error = None

    def _may_attempt(self) -> bool:
        now = self._monotonic()
        if now < self._next_attempt_at:
            return False
        self._next_attempt_at = now + self.token_interval_s
        return True

    async def ensure_token(
        self, held: TokenManager | None, open_tokens: Callable[[], Awaitable[TokenManager]], timeout_s: float
    ) -> tuple[bool, str | None]:
        """``(token valid, error of the attempt made now)``, trying upstream only if the pace allows.

        While data calls are refused for auth, the held token is what they were refused
        with, so the attempt asks for a new one; if that issue succeeds the client counts as
        ready again (a server no one sends traffic to, because it is not ready, recovers).
        """
        valid = held is not None and held.is_valid()
        if valid and self.auth_error is None:
            return True, None
        if not self._may_attempt():
            return valid, None
        try:
            async with asyncio.timeout(timeout_s):
                tokens = await open_tokens()
                current = tokens.current
                if self.auth_error is not None and current is not None:
                    await tokens.invalidate(current)
                await tokens.get()
        except (KiwoomError, TimeoutError) as exc:
            return False, str(exc) or type(exc).__name__
        self.token_issued()
        return True, None


def not_ready_reasons(report: Mapping[str, Any]) -> dict[str, str]:
    """Why a ``health()`` report is not ready, keyed token/breaker/auth/shutdown; empty when ready.

    A draining server says so, so that a load balancer stops sending it new calls during the grace.
    The token reason names the host and the setting that chose it (``mode_reason``): "no token"
    alone does not tell an operator that a forgotten key sent the server to api.kiwoom.com.
    """
    reasons: dict[str, str] = {}
    if report.get("shutting_down"):
        reasons["shutdown"] = "서버 종료 중: 진행 중인 호출만 마무리합니다"
    if not report.get("token_valid"):
        target = f" [{report['mode_reason']}]" if report.get("mode_reason") else ""
        reasons["token"] = f"유효한 접근토큰 없음{target}: {report.get('last_error') or '발급 전'}"
    if report.get("breaker", {}).get("state", "closed") == "open":
        reasons["breaker"] = "회로 차단기 열림: 키움 API 요청을 보내지 않는 중"
    if report.get("auth_error"):
        reasons["auth"] = f"데이터 요청 인증 실패: {report['auth_error']}"
    return reasons
