"""A scripted upstream load for the guard's unit tests: the failures to raise, then an answer."""

from __future__ import annotations

from typing import Any

from kiwoom.errors import KiwoomError

Data = dict[str, Any]


class Script:
    """A load that fails with the scripted errors in turn, then answers; counts its calls."""

    def __init__(self, *failures: KiwoomError) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def __call__(self) -> Data:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return {"price": 70000, "source": "live"}
