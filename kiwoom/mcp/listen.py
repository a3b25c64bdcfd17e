"""Take the listening port before anything else starts, so a busy port fails first and plainly.

uvicorn runs the app's lifespan before it binds: a second ``kiwoom-mcp`` on a busy port
would connect to Kiwoom, issue a token, log "서버 준비 완료", and only then die on the bind
with an English traceback, revoking the token on the way out. Binding here first turns that
into one Korean line that names the port and how to choose another, before any token exists.
"""

from __future__ import annotations

import errno
import socket

from kiwoom.errors import ConfigurationError


def _problem(host: str, port: int, exc: OSError) -> ConfigurationError:
    if exc.errno == errno.EADDRINUSE:
        other = port + 1 if 0 < port < 65535 else 8031
        return ConfigurationError(
            f"포트 {port} 이(가) 이미 사용 중입니다 ({host}:{port}): "
            f"다른 포트를 쓰려면 --port {other} 또는 KIWOOM_MCP_PORT={other} 로 지정하세요"
        )
    return ConfigurationError(
        f"포트 {port} 에서 대기할 수 없습니다 ({host}:{port}: {exc.strerror or exc}): "
        "--host/--port 또는 KIWOOM_MCP_HOST/KIWOOM_MCP_PORT 를 확인하세요"
    )


def bind_listener(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` the way uvicorn binds one (IPv6 for a host with ``:``).

    Raises :class:`ConfigurationError` with a one-line Korean message when the port is taken
    or cannot be bound. The caller hands the socket to ``uvicorn.Server.serve(sockets=...)``.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise _problem(host, port, exc) from None
    sock.set_inheritable(True)
    return sock


def check_port(host: str, port: int) -> None:
    """Fail like :func:`bind_listener` if ``host:port`` cannot be bound now, and release it.

    For ``--workers``, whose supervisor binds the port itself: another process could still
    take the port between this check and that bind, and then uvicorn's own error applies.
    """
    bind_listener(host, port).close()
