"""Server settings (``KIWOOM_MCP_*``), apart from the client's ``KIWOOM_*`` settings."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORT = 8030


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: addresses only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ServerSettings(BaseSettings):
    """Where and how the MCP server listens."""

    model_config = SettingsConfigDict(
        env_prefix="KIWOOM_MCP_", env_file=".env", env_file_encoding="utf-8", env_ignore_empty=True, extra="ignore"
    )

    transport: Literal["http", "stdio"] = "http"
    host: str = "127.0.0.1"
    port: int = Field(DEFAULT_PORT, ge=0, le=65535)
    path: str = "/mcp"
    auth_token: SecretStr | None = Field(None, description="Bearer token required on /mcp (mandatory off loopback)")
    allowed_hosts: list[str] = Field(default_factory=list, description="Extra Host header values to accept")
    allowed_origins: list[str] = Field(default_factory=list, description="Browser origins to accept")
    stateless: bool = Field(
        False, description="Stateless streamable HTTP (no MCP sessions): set for --workers > 1 so any worker answers"
    )
    workers: int = Field(1, ge=1, le=64, description="Worker processes sharing the port (use with KIWOOM_REDIS_URL)")
    shutdown_timeout_s: float = Field(3, ge=0, description="Grace period for in-flight calls on SIGTERM")
    request_read_timeout_s: float = Field(
        10, gt=0, description="Close a connection whose request (headers and body) is not complete in this time"
    )
    max_connections: int = Field(200, ge=1, description="Open connections per process; more are answered 503")
    max_sessions: int = Field(1000, ge=1, description="Open MCP sessions; at the cap the longest idle one is closed")
    session_idle_timeout_s: float = Field(600, gt=0, description="Close an MCP session idle for this long")
    log_level: str = "INFO"

    def check_exposure(self) -> None:
        """Refuse to serve HTTP beyond loopback without a bearer token."""
        if self.transport == "http" and not is_loopback(self.host) and self.auth_token is None:
            raise ValueError(
                f"--host {self.host} 는 외부에서 접근 가능한 주소입니다: KIWOOM_MCP_AUTH_TOKEN 을 설정해야 합니다"
            )
