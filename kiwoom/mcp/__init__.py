"""The MCP side: ``KiwoomMCPServer``, its settings, envelopes, metrics and HTTP app.

Nothing below :mod:`kiwoom.client` imports from here: data flows tool → client, never back.
"""

from kiwoom.mcp.server import KiwoomMCPServer
from kiwoom.mcp.settings import ServerSettings

__all__ = ["KiwoomMCPServer", "ServerSettings"]
