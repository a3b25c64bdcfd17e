"""Fixtures of the MCP tests: the in-memory harness (see :mod:`tests.kiwoom.mcp.harness`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.kiwoom.mcp.harness import McpHarness, open_harness


@pytest.fixture
async def mh() -> AsyncIterator[McpHarness]:
    async with open_harness() as harness:
        yield harness
