"""Async client of the Kiwoom Securities REST API, built to fail well.

Public surface (everything else is private)::

    from kiwoom import KiwoomClient, KiwoomMCPServer, Settings
    async with KiwoomClient() as client:          # no keys: the embedded sandbox
        quote = await client.get_stock_price("005930")
"""

from typing import TYPE_CHECKING, Any

from kiwoom.base import BaseMCPClient
from kiwoom.client import KiwoomClient
from kiwoom.config import Mode, Settings
from kiwoom.errors import (
    BatchFailedError,
    BreakerOpenError,
    ConfigurationError,
    EmptyResponseError,
    InvalidInputError,
    KiwoomAPIError,
    KiwoomAuthError,
    KiwoomError,
    KiwoomHTTPError,
    KiwoomResponseError,
    KiwoomTimeoutError,
    KiwoomTransportError,
    QueueRefusedError,
    RateLimitError,
    RedisUnavailableError,
    RetriesExhausted,
    StockNotFoundError,
    TokenExpiredError,
)
from krx.calendar import KrxCalendar

if TYPE_CHECKING:
    from kiwoom.mcp.server import KiwoomMCPServer

__version__ = "0.1.0"

__all__ = [
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


def __getattr__(name: str) -> Any:
    """``KiwoomMCPServer`` on first use: FastMCP takes ~2 s to import, and the client alone never needs it."""
    if name == "KiwoomMCPServer":
        from kiwoom.mcp.server import KiwoomMCPServer

        return KiwoomMCPServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
