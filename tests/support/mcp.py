"""Raw MCP-over-HTTP pieces for tests that must look below the SDK (status codes, headers)."""

from __future__ import annotations

from typing import Any

PROTOCOL_VERSION = "2025-06-18"
INIT: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
