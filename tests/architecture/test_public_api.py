"""``kiwoom.__all__`` is the promise to users: changing it must be a deliberate edit here too.

Every exported exception derives from ``KiwoomError`` so that one ``except KiwoomError``
catches whatever the package raises on purpose.
"""

from __future__ import annotations

import kiwoom

PUBLIC = [
    "BaseMCPClient",
    "BatchFailedError",
    "BreakerOpenError",
    "ConfigurationError",
    "EmptyResponseError",
    "InvalidInputError",
    "KiwoomAPIError",
    "KiwoomAuthError",
    "KiwoomClient",
    "KiwoomError",
    "KiwoomHTTPError",
    "KiwoomMCPServer",
    "KiwoomResponseError",
    "KiwoomTimeoutError",
    "KiwoomTransportError",
    "KrxCalendar",
    "Mode",
    "QueueRefusedError",
    "RateLimitError",
    "RedisUnavailableError",
    "RetriesExhausted",
    "Settings",
    "StockNotFoundError",
    "TokenExpiredError",
    "__version__",
]


def test_all_is_exactly_the_public_surface() -> None:
    assert kiwoom.__all__ == PUBLIC


def test_all_is_sorted() -> None:
    assert kiwoom.__all__ == sorted(kiwoom.__all__)


def test_every_exported_name_is_importable() -> None:
    missing = [name for name in kiwoom.__all__ if not hasattr(kiwoom, name)]
    assert missing == []


def test_every_exported_exception_is_a_kiwoom_error() -> None:
    exported = [value for name in kiwoom.__all__ if isinstance(value := getattr(kiwoom, name, None), type)]
    exceptions = [cls for cls in exported if issubclass(cls, BaseException)]
    strays = [cls.__name__ for cls in exceptions if not issubclass(cls, kiwoom.KiwoomError)]
    assert strays == []
