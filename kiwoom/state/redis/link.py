"""One Redis connection with namespacing, a format version, bounded timeouts and degradation.

Keys look like ``{namespace}:v{FORMAT_VERSION}:{kind}:{id}``: two deployments sharing a
Redis use different namespaces, and an upgrade that changes a value's shape bumps the
version so old entries are never misread. Any Redis error marks the link down for
``retry_s``; during that time callers get :class:`RedisUnavailableError` at once (no
timeouts piling up); the first call after it tries Redis again.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from kiwoom.errors import RedisUnavailableError

FORMAT_VERSION = 1
MAX_CONNECTIONS = 16
T = TypeVar("T")


class RedisLink:
    """A namespaced Redis client whose every command is bounded and fails fast while Redis is down.

    It only raises :class:`RedisUnavailableError`; deciding what to do instead (serve from
    memory) and reporting the outage belong to :mod:`kiwoom.state.degrading`.
    """

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "kiwoom",
        timeout_s: float = 1.0,
        retry_s: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.namespace = namespace
        self._retry_s = retry_s
        self._monotonic = monotonic
        self._down_until = 0.0
        self.last_error: str | None = None
        # A bounded pool: a burst of callers queues for a connection (up to timeout_s)
        # instead of opening one connection each, which under load misses the timeout.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=timeout_s,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            decode_responses=True,
            retry_on_timeout=False,
            health_check_interval=0,
        )
        self.redis: aioredis.Redis = aioredis.Redis(connection_pool=pool)
        self._scripts: dict[str, Any] = {}

    def key(self, kind: str, *parts: str) -> str:
        return ":".join((self.namespace, f"v{FORMAT_VERSION}", kind, *parts))

    def script(self, name: str, source: str) -> Any:
        """A registered Lua script (EVALSHA with automatic reload), made once per link."""
        if name not in self._scripts:
            self._scripts[name] = self.redis.register_script(source)
        return self._scripts[name]

    @property
    def available(self) -> bool:
        """False during the back-off after a failure: commands then fail at once."""
        return self._monotonic() >= self._down_until

    async def run(self, operation: Callable[[aioredis.Redis], Awaitable[T]]) -> T:
        """Run ``operation`` against Redis, or raise :class:`RedisUnavailableError` quickly."""
        if not self.available:
            raise RedisUnavailableError(f"Redis 사용 불가 (재시도 대기): {self.last_error}")
        try:
            result = await operation(self.redis)
        except (RedisError, OSError, TimeoutError) as exc:
            self._down_until = self._monotonic() + self._retry_s
            self.last_error = f"{type(exc).__name__}: {exc}"
            raise RedisUnavailableError(f"Redis 오류: {type(exc).__name__}") from None
        self.last_error = None
        return result

    async def ping(self) -> bool:
        """True when Redis answers; raises :class:`RedisUnavailableError` otherwise."""
        return bool(await self.run(lambda r: r.ping()))

    async def close(self) -> None:
        # The pool was passed in, so the client does not own it: close it explicitly.
        await self.redis.aclose(close_connection_pool=True)
