"""``kiwoom-mcp --workers N``: several server processes on one port, sharing state through Redis.

MCP sessions live in one process, so the workers run stateless streamable HTTP: any
worker can answer any request. With Redis they share cache, token, rate budget and
breaker; without it each worker is on its own, which the log says plainly.
"""

from __future__ import annotations

import logging
import os
import sys

import uvicorn
from starlette.applications import Starlette

from kiwoom.config import Settings
from kiwoom.mcp.http_app import build_http_app, uvicorn_options
from kiwoom.mcp.listen import check_port
from kiwoom.mcp.server import KiwoomMCPServer
from kiwoom.mcp.settings import ServerSettings

logger = logging.getLogger("kiwoom.server")


def create_worker_app() -> Starlette:
    """Factory for uvicorn's worker processes: settings come from the environment."""
    settings = ServerSettings()
    # Each worker is a fresh process: the parent's logging set-up does not reach it.
    logging.basicConfig(
        level=settings.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return build_http_app(KiwoomMCPServer(), settings)


def serve_workers(settings: ServerSettings) -> None:
    """Run ``settings.workers`` processes on one port (uvicorn's supervisor), each building its own app.

    A busy port raises :class:`~kiwoom.errors.ConfigurationError` before any worker starts.
    """
    settings.check_exposure()
    check_port(settings.host, settings.port)
    client_settings = Settings()
    if client_settings.storage_backend() != "redis":
        logger.warning(
            "--workers %d 에 KIWOOM_REDIS_URL 이 없습니다: 워커마다 캐시, 토큰, 요청 한도가 따로입니다",
            settings.workers,
        )
    os.environ["KIWOOM_MCP_STATELESS"] = "true"
    # Each worker's share of the rate budget when it must pace alone (Redis down, or none).
    os.environ["KIWOOM_WORKERS"] = str(settings.workers)
    os.environ["KIWOOM_MCP_LOG_LEVEL"] = settings.log_level
    logger.info(
        "키움 MCP 서버 시작: http://%s:%d%s (워커 %d개, 저장소 %s)",
        settings.host,
        settings.port,
        settings.path,
        settings.workers,
        client_settings.storage_backend(),
    )
    uvicorn.run(
        "kiwoom.mcp.workers:create_worker_app", factory=True, workers=settings.workers, **uvicorn_options(settings)
    )
