"""Run the server on a transport, with a bounded graceful shutdown.

On SIGTERM uvicorn stops accepting, gives in-flight calls ``shutdown_timeout_s`` to finish,
cancels what is left (open MCP streams would otherwise hold the process), then runs the
lifespan shutdown, which revokes the Kiwoom token.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

import uvicorn

from kiwoom.mcp.http_app import build_http_app
from kiwoom.mcp.settings import ServerSettings

if TYPE_CHECKING:
    from kiwoom.mcp.server import KiwoomMCPServer

logger = logging.getLogger("kiwoom.server")


async def serve(
    server: KiwoomMCPServer,
    *,
    transport: str = "http",
    host: str = "127.0.0.1",
    port: int = 8030,
    settings: ServerSettings | None = None,
) -> None:
    """Serve until stopped; HTTP at ``http://host:port/mcp`` or stdio for desktop assistants."""
    base = settings or ServerSettings()
    settings = base.model_copy(update={"transport": transport, "host": host, "port": port})
    settings.check_exposure()
    if settings.transport == "stdio":
        await server.fastmcp.run_async(transport="stdio", show_banner=False)
        return
    app = build_http_app(server, settings)
    client = server.kiwoom_client
    data = "시뮬레이션 데이터 (내장 샌드박스)" if client.simulated else "실제 데이터"
    logger.info("키움 MCP 서버 시작: http://%s:%d%s (%s 모드, %s)", host, port, settings.path, client.mode.value, data)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=max(settings.shutdown_timeout_s, 1),
        access_log=False,
    )
    await uvicorn.Server(config).serve()


def serve_workers(settings: ServerSettings) -> None:
    """Run ``settings.workers`` processes on one port (uvicorn's supervisor), each building its own app.

    MCP sessions live in one process, so the workers run stateless streamable HTTP: any
    worker can answer any request. With Redis they share cache, token, rate budget and
    breaker; without it each worker is on its own, which the log says plainly.
    """
    from kiwoom.config import Settings

    settings.check_exposure()
    client_settings = Settings()
    if client_settings.storage_backend() != "redis":
        logger.warning(
            "--workers %d 에 KIWOOM_REDIS_URL 이 없습니다: 워커마다 캐시, 토큰, 요청 한도가 따로입니다",
            settings.workers,
        )
    os.environ["KIWOOM_MCP_STATELESS"] = "true"
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
        "kiwoom.mcp.http_app:create_worker_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        lifespan="on",
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=max(settings.shutdown_timeout_s, 1),
        access_log=False,
    )
