"""From outside, as a user's tools would: the MCP Inspector CLI against a running ``kiwoom-mcp``.

The inspector (npm ``@modelcontextprotocol/inspector``) is installed by the tox ``tests`` env
and found through ``MCP_INSPECTOR``. Outside CI a missing inspector skips; in CI it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

from kiwoom_lab.loopback import child_env, free_port, wait_until_ok

pytestmark = pytest.mark.socket


def inspector_path() -> str:
    path = os.environ.get("MCP_INSPECTOR") or shutil.which("mcp-inspector")
    if path and os.path.exists(path):
        return path
    message = "MCP Inspector CLI not installed (tox installs it; or set MCP_INSPECTOR)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    port = free_port()
    env = child_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiwoom", "--port", str(port), "--log-level", "WARNING"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ok(f"{base}/readyz", process=proc)
        yield f"{base}/mcp"
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


def inspect(url: str, *args: str) -> dict[str, object]:
    completed = subprocess.run(
        [inspector_path(), "--cli", url, *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, object] = json.loads(completed.stdout)
    return result


def test_inspector_lists_the_tools(server_url: str) -> None:
    listed = inspect(server_url, "--method", "tools/list")
    tools = listed["tools"]
    assert isinstance(tools, list)
    assert "get_stock_price" in {t["name"] for t in tools}


def test_inspector_calls_get_stock_price(server_url: str) -> None:
    result = inspect(
        server_url, "--method", "tools/call", "--tool-name", "get_stock_price", "--tool-arg", "stock_code=005930"
    )
    assert result["isError"] is False
    content = result["structuredContent"]
    assert isinstance(content, dict)
    assert content["success"] is True
    assert content["data"]["stock_code"] == "005930"
