"""``BaseMCPClient``: the connect/close lifecycle every upstream client of the server shares.

The seed's clients inherit from one base so the MCP server can open, health-check and
close them the same way; the base owns only that lifecycle, not any protocol.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Any, Self


class BaseMCPClient(abc.ABC):
    """Async context manager with ``connect``/``close`` and a ``health`` report."""

    name: str = "base"

    def __init__(self) -> None:
        self._connected = False

    @property
    def is_connected(self) -> bool:
        return self._connected

    @abc.abstractmethod
    async def connect(self) -> bool:
        """Open connections and authenticate; True when the client can serve requests."""

    @abc.abstractmethod
    async def close(self) -> bool:
        """Release connections and credentials; safe to call twice. True when credentials were revoked."""

    async def health(self) -> dict[str, Any]:
        """A small status report for readiness checks (override to add detail)."""
        return {"client": self.name, "connected": self._connected}

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
