"""How the load runner talks back: progress lines, and the one error that ends a run (exit status 2)."""

from __future__ import annotations


class RunnerError(RuntimeError):
    """A process did not start, or a run left no locust JSON: the figures would be meaningless."""


def log(message: str) -> None:
    """A progress line, flushed at once: a run lasts minutes and its output is watched live (and in CI)."""
    print(message, flush=True)
