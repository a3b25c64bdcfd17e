"""One worker of a fleet lesson in its own process, so that the lab can kill it for real.

``python -m kiwoom_lab.fleet_worker`` reads one JSON object on stdin (the client's settings,
the ``expect`` block, and ``via``), makes call 0 of the lesson the way the lesson says, and
prints the result as one JSON line. A lesson about a crash SIGKILLs this process while its
request is in flight: no ``finally`` runs, no lock is released, no token is revoked, exactly
as when the kernel's OOM killer or ``kill -9`` ends a ``kiwoom-mcp`` worker. The settings
travel on stdin, never on the command line, so the sandbox keys do not show in ``ps``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any

from kiwoom.client import KiwoomClient
from kiwoom.config import Settings
from kiwoom_lab.calls import invoke, invoke_tool, mcp_session
from kiwoom_lab.spec import Expect, settings_of


async def _call(settings: Settings, expect: Expect, via: str) -> dict[str, Any]:
    client = KiwoomClient(settings)
    async with contextlib.AsyncExitStack() as stack:
        if via == "mcp":
            mcp = await mcp_session(stack, client)
            return await invoke_tool(mcp, expect, 0)
        try:
            return await invoke(client, expect, 0)
        finally:
            await client.close()


def main() -> int:
    payload = json.loads(sys.stdin.read())
    settings = settings_of(payload["settings"])  # what the runner sent, whatever this process's environment holds
    expect = Expect.model_validate(payload["expect"])
    print(json.dumps({"event": "started"}), flush=True)
    result = asyncio.run(_call(settings, expect, str(payload.get("via", "client"))))
    print(json.dumps({"event": "answered", "source": result.get("source")}, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
