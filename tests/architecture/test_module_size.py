"""No module over 400 lines: past that a file usually holds two ideas, and a reader loses the thread.

Code that really must be long (a data table, say) goes in ``ALLOWED`` by name, with its
limit and the reason, so the exception is reviewed rather than silently grown into.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.imports import ROOT

MAX_LINES = 400

#: Checked directories: the shipped packages, the tests and the benchmarks.
CHECKED = ("krx", "kiwoom", "fake_kiwoom", "kiwoom_lab", "tests", "bench")

#: Path (relative to the repository root) -> its own line limit. Empty today: nothing needs one.
ALLOWED: dict[str, int] = {}


def line_count(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def test_every_module_fits_in_400_lines() -> None:
    too_long = {
        relative: lines
        for directory in CHECKED
        for path in sorted((ROOT / directory).rglob("*.py"))
        if (lines := line_count(path)) > ALLOWED.get(relative := path.relative_to(ROOT).as_posix(), MAX_LINES)
    }
    assert too_long == {}


def test_every_allowlisted_module_exists_and_needs_its_allowance() -> None:
    """A stale entry would let a new file of that name grow past the limit unnoticed."""
    unneeded = {
        relative: limit
        for relative, limit in ALLOWED.items()
        if not (ROOT / relative).is_file() or line_count(ROOT / relative) <= MAX_LINES
    }
    assert unneeded == {}
