"""The Redis that scale-out runs share: checked before anything starts, cleaned after each server.

Workers that cannot reach Redis fall back to memory without failing, which would measure
the wrong thing; and every server gets a fresh namespace whose keys are removed afterwards,
so that benchmark runs leave the Redis as they found it.
"""

from __future__ import annotations

from typing import Any

from bench.load.console import RunnerError, log


def redis_client(url: str) -> Any:
    """A synchronous client of the official ``redis`` package, bounded like our server's commands."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)


def check_redis(url: str) -> None:
    """Fail before anything starts when Redis is not there: the workers would silently fall back to memory."""
    import redis

    try:
        with redis_client(url) as client:
            client.ping()
    except redis.RedisError as exc:
        raise RunnerError(f"Redis at {url} is unreachable ({exc}): start redis-server or pass --redis-url") from exc


def drop_namespace(url: str, namespace: str) -> int:
    """Delete the run's keys (``namespace:*``), so that benchmark runs leave the Redis as they found it."""
    import redis

    try:
        with redis_client(url) as client:
            keys = list(client.scan_iter(match=f"{namespace}:*", count=500))
            return int(client.delete(*keys)) if keys else 0
    except redis.RedisError as exc:
        log(f"    could not remove Redis namespace {namespace}: {exc}")
        return 0
