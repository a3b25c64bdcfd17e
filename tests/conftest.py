"""Shared fixtures."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_kiwoom_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a developer's real KIWOOM_* keys out of every test, run under tox or not."""
    for name in list(os.environ):
        if name.startswith("KIWOOM_") and not name.startswith("KIWOOM_TEST_"):
            monkeypatch.delenv(name)
