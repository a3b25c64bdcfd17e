"""``kiwoom-mcp`` / ``python -m kiwoom``: run the MCP server (HTTP on 8030, or stdio)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from kiwoom.mcp.server import KiwoomMCPServer
from kiwoom.mcp.settings import DEFAULT_PORT, ServerSettings
from kiwoom.mcp.workers import serve_workers


def main(argv: list[str] | None = None) -> None:
    defaults = ServerSettings()
    parser = argparse.ArgumentParser(prog="kiwoom-mcp", description="Kiwoom REST API MCP server (read-only tools)")
    parser.add_argument("--transport", choices=["http", "stdio"], default=defaults.transport)
    parser.add_argument("--host", default=defaults.host, help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=defaults.port, help=f"HTTP port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--workers", type=int, default=defaults.workers, help="worker processes on one port (share state via Redis)"
    )
    parser.add_argument("--log-level", default=defaults.log_level)
    args = parser.parse_args(argv)
    # stdout belongs to the MCP protocol under stdio: every log line goes to stderr.
    logging.basicConfig(
        level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        defaults.model_copy(update={"transport": args.transport, "host": args.host}).check_exposure()
    except ValueError as exc:
        parser.error(str(exc))
    if args.workers > 1:
        if args.transport != "http":
            parser.error("--workers 는 --transport http 에서만 쓸 수 있습니다")
        update = {"host": args.host, "port": args.port, "workers": args.workers, "log_level": args.log_level}
        serve_workers(defaults.model_copy(update=update))
        return
    server = KiwoomMCPServer()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.run(transport=args.transport, host=args.host, port=args.port))


if __name__ == "__main__":
    main()
