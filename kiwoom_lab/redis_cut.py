"""A TCP relay in front of Redis that the lab can cut and restore, to lose Redis on cue.

A lesson cannot stop the machine's Redis (other programs use it), so the workers reach
Redis through this relay on a loopback port instead. ``cut()`` resets every relayed
connection and answers each new one by closing it at once, as a Redis that died or a
network that partitioned would look to a client; ``restore()`` relays again.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit


class RedisRelay:
    """Relay ``127.0.0.1:<port>`` to the Redis of ``target_url`` until cut."""

    def __init__(self, target_url: str) -> None:
        parts = urlsplit(target_url)
        self._target_url = target_url
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 6379
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.cut_now = False
        #: Connections refused while cut: how often the workers tried to reach Redis.
        self.refused = 0

    async def start(self) -> str:
        """Listen on a free loopback port; the Redis URL the workers should use."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        parts = urlsplit(self._target_url)
        netloc = f"127.0.0.1:{port}"
        if parts.username or parts.password:
            netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut_now:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self._host, self._port)
        except OSError:
            writer.transport.abort()
            return
        if self.cut_now:  # cut while this connection was being made: it must not outlive the cut
            self.refused += 1
            writer.transport.abort()
            up_writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        pumps = [self._pump(reader, up_writer), self._pump(up_reader, writer)]
        for pump in pumps:
            task = asyncio.create_task(pump)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while chunk := await source.read(65536):
                sink.write(chunk)
                await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(sink)
            sink.transport.abort()

    def cut(self) -> None:
        """Reset every relayed connection and refuse new ones, until :meth:`restore`."""
        self.cut_now = True
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def restore(self) -> None:
        """Relay new connections again (the old ones stay gone, as after a real outage)."""
        self.cut_now = False

    async def close(self) -> None:
        self.cut()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
