"""``kiwoom-mcp`` / ``python -m kiwoom``: run the MCP server (HTTP on 8030, or stdio)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable

from kiwoom.client import KiwoomClient
from kiwoom.config import Settings
from kiwoom.errors import ConfigurationError
from kiwoom.mcp.server import KiwoomMCPServer
from kiwoom.mcp.settings import DEFAULT_PORT, ServerSettings
from kiwoom.mcp.workers import serve_workers
from kiwoom.settings_errors import exit_invalid, load_or_exit

PROG = "kiwoom-mcp"


def int_between(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer in ``low``–``high``, so ``--port 70000`` is a usage error, not a traceback."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"정수여야 합니다: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{low}–{high} 사이여야 합니다: {value}")
        return value

    return parse


def main(argv: list[str] | None = None) -> None:
    defaults = load_or_exit(ServerSettings, PROG)
    parser = argparse.ArgumentParser(prog=PROG, description="Kiwoom REST API MCP server (read-only tools)")
    parser.add_argument("--transport", choices=["http", "stdio"], default=defaults.transport)
    parser.add_argument("--host", default=defaults.host, help="bind address (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int_between(0, 65535), default=defaults.port, help=f"HTTP port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--workers",
        type=int_between(1, 64),
        default=defaults.workers,
        help="worker processes on one port (share state via Redis)",
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
    if args.workers > 1 and args.transport != "http":
        parser.error("--workers 는 --transport http 에서만 쓸 수 있습니다")
    client_settings = load_or_exit(Settings, PROG)
    try:
        if args.workers > 1:
            update = {"host": args.host, "port": args.port, "workers": args.workers, "log_level": args.log_level}
            serve_workers(defaults.model_copy(update=update))
            return
        server = KiwoomMCPServer(KiwoomClient(client_settings))
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(server.run(transport=args.transport, host=args.host, port=args.port))
    except ConfigurationError as exc:
        # A busy port, or settings that only conflict together (KIWOOM_STORAGE=redis without a URL).
        exit_invalid(PROG, exc, what="")


if __name__ == "__main__":
    main()
