"""The exception tree of the Kiwoom client.

Every error the client raises derives from :class:`KiwoomError` (the seed's name), so a
caller that only wants "did it work" catches one type, while retry and fallback logic can
tell apart what may succeed on a second try from what never will::

    KiwoomError
    ├── InvalidInputError        bad argument, rejected before any request (field + rule)
    ├── ConfigurationError       settings that cannot work (missing keys for real/mock ...)
    ├── KiwoomTransportError     no usable HTTP answer: connect/read failure or timeout
    │   └── KiwoomTimeoutError
    ├── BreakerOpenError         upstream was not asked: the circuit breaker is open
    ├── QueueRefusedError        upstream was not asked: the TR's queue is full, or the turn comes too late
    ├── BatchFailedError         the shared batch carrying a code failed in another worker
    ├── RetriesExhausted         every allowed attempt failed, or the call deadline left no room
    ├── RedisUnavailableError    shared state unreachable (caught in kiwoom.state.degrading only)
    ├── KiwoomHTTPError          an HTTP status with no Kiwoom envelope (5xx from a proxy ...)
    ├── KiwoomResponseError      an answer that is not a Kiwoom JSON envelope (truncated, not JSON)
    │   └── EmptyResponseError   return_code 0 but the fields are blank (the seed's "API 응답 없음")
    └── KiwoomAPIError           a Kiwoom envelope with return_code != 0 (carries the detail code)
        ├── KiwoomAuthError      8xxx key/token failures, 1513/1514 header problems
        │   └── TokenExpiredError   8005/8031/8103: a fresh token may fix it (re-issued once)
        ├── RateLimitError       1700 / HTTP 429
        └── StockNotFoundError   1902

Messages never contain the app key, the secret key, the token or a full account number.
"""

from __future__ import annotations

#: Detail codes after which a new token and one repeat of the request may succeed.
TOKEN_RETRY_CODES = frozenset({8005, 8031, 8103})
RATE_LIMIT_CODE = 1700
STOCK_NOT_FOUND_CODE = 1902
AUTH_CODES = frozenset({1513, 1514, 1516, 8001, 8002, 8003, 8006, 8009, 8010, 8011, 8012, 8020, 8030, 8040, 8050})


class KiwoomError(Exception):
    """Base of every error raised by this package."""


class InvalidInputError(KiwoomError, ValueError):
    """An argument broke a rule; raised before any upstream request is made."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"잘못된 입력: {field}: {rule}")


class ConfigurationError(KiwoomError):
    """The settings cannot work, for example real mode without an app key."""


class KiwoomTransportError(KiwoomError):
    """The request got no usable HTTP response (connection refused, reset, dropped)."""


class KiwoomTimeoutError(KiwoomTransportError):
    """The request timed out (connect, read, write or pool)."""


class BreakerOpenError(KiwoomError):
    """Upstream was not asked: the circuit breaker is open (or opened while this call waited)."""

    def __init__(self) -> None:
        super().__init__("서킷 브레이커 열림: API 호출 생략")


class QueueRefusedError(KiwoomError):
    """Upstream was not asked: the TR's queue is full, or this call's turn would come after its deadline.

    Raised at once instead of waiting out the deadline, so the call falls back (stale data, or
    the policy's answer) while the queued calls ahead of it keep their turns.
    """

    def __init__(self, api_id: str, reason: str) -> None:
        self.api_id = api_id
        self.reason = reason
        super().__init__(f"요청 대기열 초과 ({api_id}): {reason}")


class BatchFailedError(KiwoomError):
    """The batch request that carried this call's code failed in another worker (told through Redis).

    ``retryable`` is that worker's judgement of the original error, so the guard retries or
    falls back exactly as it would have for the error itself.
    """

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class RetriesExhausted(KiwoomError):  # noqa: N818 - the seed-era name users and tests know
    """Every allowed attempt failed with a retryable error, or the deadline left no room for another.

    ``attempts`` is how many requests the call made; ``last_error`` is the final failure.
    """

    def __init__(
        self, last_error: KiwoomError, attempts: int, *, deadline_hit: bool = False, shutting_down: bool = False
    ) -> None:
        self.last_error = last_error
        self.attempts = attempts
        self.deadline_hit = deadline_hit
        self.shutting_down = shutting_down
        if shutting_down:
            reason = "서버 종료 중이라 재시도하지 않음"
        else:
            reason = "호출 기한 초과" if deadline_hit else "최대 재시도 횟수 초과"
        super().__init__(f"{reason}: {last_error}")


class RedisUnavailableError(KiwoomError):
    """Redis (the shared state of several workers) could not be reached in time.

    Only :mod:`kiwoom.state.degrading` catches it: there the worker switches to its own
    memory and keeps serving. Anywhere else it is a bug, so it is never hidden.
    """


class KiwoomHTTPError(KiwoomError):
    """An HTTP error status whose body is not a Kiwoom envelope (e.g. a 503 from a proxy)."""

    def __init__(self, status_code: int, api_id: str) -> None:
        self.status_code = status_code
        self.api_id = api_id
        super().__init__(f"API 응답 오류: HTTP {status_code} ({api_id})")


class KiwoomResponseError(KiwoomError):
    """The body could not be read as a Kiwoom JSON object (malformed, cut short, wrong type)."""

    def __init__(self, api_id: str, reason: str, status_code: int = 200) -> None:
        self.api_id = api_id
        self.reason = reason
        self.status_code = status_code
        super().__init__(f"API 응답 해석 실패 ({api_id}): {reason}")


class EmptyResponseError(KiwoomResponseError):
    """Kiwoom said OK but sent no data (blank fields, empty list): the seed's "API 응답 없음"."""

    def __init__(self, api_id: str, what: str) -> None:
        super().__init__(api_id, f"API 응답 없음: {what}")


class KiwoomAPIError(KiwoomError):
    """Kiwoom answered with ``return_code != 0``; ``code`` is the bracketed detail code."""

    def __init__(self, api_id: str, return_code: int, code: int | None, message: str, status_code: int) -> None:
        self.api_id = api_id
        self.return_code = return_code
        self.code = code
        self.message = message
        self.status_code = status_code
        label = f"{code}" if code is not None else f"return_code={return_code}"
        super().__init__(f"키움 API 오류 [{label}] ({api_id}): {message}")


class KiwoomAuthError(KiwoomAPIError):
    """App key, secret key or token rejected."""


class TokenExpiredError(KiwoomAuthError):
    """The token is no longer valid (8005, 8031, 8103); a new token may fix the call."""


class RateLimitError(KiwoomAPIError):
    """Kiwoom's per-TR request rate was exceeded (1700, HTTP 429)."""


class StockNotFoundError(KiwoomAPIError):
    """Kiwoom has no stock with the requested code (1902)."""


def api_error_for(api_id: str, return_code: int, code: int | None, message: str, status_code: int) -> KiwoomAPIError:
    """Build the most specific :class:`KiwoomAPIError` subclass for a detail code."""
    cls: type[KiwoomAPIError] = KiwoomAPIError
    if code in TOKEN_RETRY_CODES:
        cls = TokenExpiredError
    elif code in AUTH_CODES or (code is not None and 8000 <= code < 9000):
        cls = KiwoomAuthError
    elif code == RATE_LIMIT_CODE or status_code == 429:
        cls = RateLimitError
    elif code == STOCK_NOT_FOUND_CODE:
        cls = StockNotFoundError
    return cls(api_id, return_code, code, message, status_code)
