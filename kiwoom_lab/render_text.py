"""The terminal view of a run: the timeline as a table, then one line per expectation.

Plain text with fixed columns (no colour library): it must read the same in a terminal,
a CI log and a pasted bug report.
"""

from __future__ import annotations

import textwrap
import unicodedata

from kiwoom_lab.runner import RunReport


def _width(text: str) -> int:
    """Columns a string takes in a terminal: Korean syllables are two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def timeline_table(report: RunReport, *, detail_width: int = 100) -> str:
    """``t+s | kind | label | detail`` rows, in the order things happened."""
    header = f"{'t+s':>9}  {_pad('kind', 9)} {_pad('what', 14)} detail"
    lines = [header, "-" * 120]
    for event in report.events:
        detail = event.detail
        if event.kind == "call" and event.duration_s:
            detail += f", took {event.duration_s:.3f} s"
        wrapped = textwrap.wrap(detail, detail_width) or [""]
        lines.append(f"{event.t:>9.3f}  {_pad(event.kind, 9)} {_pad(event.label, 14)} {wrapped[0]}")
        lines.extend(f"{'':>9}  {'':9} {'':14} {more}" for more in wrapped[1:])
    return "\n".join(lines)


def checks_block(report: RunReport) -> str:
    lines = [check.line() for check in report.checks] or ["(the scenario's expect block checks nothing)"]
    passed = sum(check.passed for check in report.checks)
    verdict = "PASSED" if report.passed else "FAILED"
    lines.append(f"{verdict}: {passed}/{len(report.checks)} expectations met")
    return "\n".join(lines)


def render(report: RunReport) -> str:
    """The whole terminal report of one run."""
    clock = "virtual clock (waits cost no wall time)" if report.clock == "virtual" else "real clock"
    title = f"{report.scenario.name}  ({report.source}, {clock}, {report.wall_s:.1f} s wall)"
    description = textwrap.indent(report.scenario.description.strip(), "  ")
    return "\n\n".join([title, description, timeline_table(report), checks_block(report)]) + "\n"


def summary_table(rows: list[tuple[str, str, str, str]]) -> str:
    """``run --all``: scenario, clock, checks, verdict per line."""
    header = ("scenario", "clock", "checks / wall", "result")
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
