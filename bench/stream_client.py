"""One fan-out client in its own process: ``python -m bench.stream_client`` (``--fanout --client-procs``).

In one bench process, N ``mcp.Client`` sessions share one event loop, and past a few hundred
notifications a second that loop, not the server, is what queues (bench/README.md). Here each
session is a process of its own, as N assistants on N machines would be. The parent and the
child talk in JSON lines:

* stdin, first line: ``{"url": ..., "uris": [...], "duration_s": ...}``;
* stdout ``{"ready": true}`` once every URI was notified once (subscribed, registered upstream);
* stdin ``go``: count and time notifications for ``duration_s``;
* stdout ``{"count": n, "unstamped": k, "latencies": [...]}`` (seconds), then exit.

Latency is this process's wall clock in the handler minus the server's ``received_at`` stamp,
as in the in-process mode; all processes run on one machine, so they share that clock.
"""

from __future__ import annotations

import asyncio
import json
import sys
import warnings
from typing import Any

from mcp.shared.exceptions import MCPDeprecationWarning

from bench.stream_fanout import Sink, _client, _until


async def _run(config: dict[str, Any]) -> dict[str, Any]:
    uris: list[str] = config["uris"]
    sink = Sink(1)
    ready, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(_client(config["url"], uris, sink.handler(0), ready, stop))
    try:
        await asyncio.wait_for(ready.wait(), 150)
        warmed = await _until(lambda: len(sink.seen) >= len(uris), 120)
        print(json.dumps({"ready": True, "warmed": warmed}), flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # "go"
        sink.measuring = True
        await asyncio.sleep(float(config["duration_s"]))
        sink.measuring = False
    finally:
        stop.set()
        await asyncio.gather(task, return_exceptions=True)
    return {"count": sink.counts[0], "unstamped": sink.unstamped, "latencies": sink.latencies}


def main() -> int:
    warnings.filterwarnings("ignore", category=MCPDeprecationWarning)
    config = json.loads(sys.stdin.readline())
    print(json.dumps(asyncio.run(_run(config))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
