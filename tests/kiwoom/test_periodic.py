"""Background renewal loops stop when told to, even when a call inside them swallows cancellation."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from kiwoom.periodic import Periodic

pytestmark = pytest.mark.anyio


async def test_stop_ends_a_loop_whose_beat_swallows_cancellation() -> None:
    """As a cancelled Redis read that surfaces as a connection error, answered from memory instead."""
    started = asyncio.Event()

    async def beat() -> bool:
        started.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(30)
        return True

    loop = Periodic(beat, 0.01, name="swallower", immediately=True)
    await started.wait()
    await asyncio.wait_for(loop.stop(), timeout=5)
    assert loop.task.done()


async def test_a_beat_that_says_no_ends_the_loop() -> None:
    beats = 0

    async def beat() -> bool:
        nonlocal beats
        beats += 1
        return beats < 3

    loop = Periodic(beat, 0.001, name="three")
    await asyncio.wait_for(loop.task, timeout=5)
    assert beats == 3


async def test_stop_wakes_a_loop_waiting_for_its_next_beat() -> None:
    async def beat() -> bool:
        return True

    loop = Periodic(beat, 60.0, name="idle")
    await asyncio.sleep(0)
    await asyncio.wait_for(loop.stop(), timeout=5)
    assert loop.task.done()
