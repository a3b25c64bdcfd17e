"""Real Redis for the tests: the machine's server on 127.0.0.1:6379, or a private one we start.

Tests that need Redis fail (not skip) when ``CI`` is set and Redis cannot be reached;
outside CI they skip with the reason. Each test gets its own key namespace.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from kiwoom.state.redis import RedisLink

DEFAULT_URL = "redis://127.0.0.1:6379/15"


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def need(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def shared_redis_url() -> str:
    """The test Redis URL (``KIWOOM_TEST_REDIS_URL``, default DB 15 on 127.0.0.1:6379), checked."""
    url = os.environ.get("KIWOOM_TEST_REDIS_URL", DEFAULT_URL)
    hostport = url.split("://", 1)[1].split("/", 1)[0]
    host, _, port = hostport.rpartition(":")
    if not _reachable(host or "127.0.0.1", int(port or 6379)):
        need(f"Redis not reachable at {url} (.ci/run starts redis-server; or set KIWOOM_TEST_REDIS_URL)")
    return url


def namespace() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def private_redis(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server of our own on ``port`` (to stop and restart it mid-test)."""
    binary = shutil.which("redis-server")
    if binary is None:
        need("redis-server binary not found (Debian package redis-server)")
        raise AssertionError("unreachable")
    workdir = tempfile.mkdtemp(prefix="kiwoom-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _reachable("127.0.0.1", port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.asynccontextmanager
async def namespaced_link() -> AsyncIterator[RedisLink]:
    """A link to the shared Redis under a fresh namespace, wiped and closed afterwards (even on failure)."""
    link = RedisLink(shared_redis_url(), namespace=namespace())
    try:
        yield link
    finally:
        keys = [k async for k in link.redis.scan_iter(f"{link.namespace}:*")]
        if keys:
            await link.redis.delete(*keys)
        await link.close()
