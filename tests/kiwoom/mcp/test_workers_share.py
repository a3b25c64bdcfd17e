"""``--workers N`` tells each worker N, so that alone (Redis down) it paces at 1/N of the budget."""

from __future__ import annotations

import os
from typing import Any

import pytest
import uvicorn

from kiwoom.mcp import workers
from kiwoom.mcp.settings import ServerSettings


def test_serve_workers_tells_the_workers_how_many_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KIWOOM_WORKERS", "KIWOOM_MCP_STATELESS", "KIWOOM_MCP_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)  # restored after the test, whatever serve_workers sets
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: started.append(kwargs))
    workers.serve_workers(ServerSettings(_env_file=None, workers=3))
    assert started
    assert os.environ["KIWOOM_WORKERS"] == "3"
