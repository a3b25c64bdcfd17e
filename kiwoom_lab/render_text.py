"""The terminal view of a run: the timeline as a table, then one line per expectation.

Plain text with fixed columns (no colour library): it must read the same in a terminal,
a CI log and a pasted bug report. Columns are padded by display width (a Korean syllable
is two columns, :mod:`krx.textwidth`), and every line stays within :data:`WIDTH` columns:
details wrap inside their column, over-long labels are cut with ``…``.
"""

from __future__ import annotations

from kiwoom_lab.runner import RunReport
from krx.textwidth import pad, table, truncate, width, wrap

#: Terminal columns no line of the report exceeds.
WIDTH = 100
#: Column widths of ``t+s``, ``kind`` and ``what``; ``detail`` takes the rest of the line.
T_COLUMNS, KIND_COLUMNS, LABEL_COLUMNS = 9, 8, 14
GAP = "  "
DETAIL_AT = T_COLUMNS + KIND_COLUMNS + LABEL_COLUMNS + 3 * len(GAP)


def _row(t: str, kind: str, label: str, detail: str) -> str:
    cells = [pad(t, T_COLUMNS, ">"), pad(kind, KIND_COLUMNS), pad(truncate(label, LABEL_COLUMNS), LABEL_COLUMNS)]
    return (GAP.join(cells) + GAP + detail).rstrip()


def timeline_table(report: RunReport, *, detail_width: int = WIDTH - DETAIL_AT) -> str:
    """``t+s | kind | label | detail`` rows, in the order things happened; long details wrap in their column."""
    lines = [_row("t+s", "kind", "what", "detail"), "-" * WIDTH]
    for event in report.events:
        detail = event.detail
        if event.kind == "call" and event.duration_s:
            detail += f", took {event.duration_s:.3f} s"
        wrapped = wrap(detail, detail_width) or [""]
        lines.append(_row(f"{event.t:.3f}", event.kind, event.label, wrapped[0]))
        lines.extend(" " * DETAIL_AT + more for more in wrapped[1:])
    return "\n".join(lines)


def _fit(text: str, indent: str) -> list[str]:
    """``text`` within :data:`WIDTH` columns, cut at a space; continuation lines start with ``indent``.

    The first line keeps its own spacing (``PASS  key: …``); only the rest is re-wrapped.
    """
    if width(text) <= WIDTH:
        return [text]
    cut = max((i for i, ch in enumerate(text) if ch == " " and width(text[:i]) <= WIDTH), default=0)
    if text[:cut].strip() == "":
        return [indent + line for line in wrap(text, WIDTH - width(indent))]
    return [text[:cut].rstrip(), *(indent + line for line in wrap(text[cut:], WIDTH - width(indent)))]


def checks_block(report: RunReport) -> str:
    lines = [line for check in report.checks for line in _fit(check.line(), " " * 6)]
    lines = lines or ["(the scenario's expect block checks nothing)"]
    passed = sum(check.passed for check in report.checks)
    verdict = "PASSED" if report.passed else "FAILED"
    lines.append(f"{verdict}: {passed}/{len(report.checks)} expectations met")
    return "\n".join(lines)


def render(report: RunReport) -> str:
    """The whole terminal report of one run."""
    clock = "virtual clock (waits cost no wall time)" if report.clock == "virtual" else "real clock"
    title = truncate(f"{report.scenario.name}  ({report.source}, {clock}, {report.wall_s:.1f} s wall)", WIDTH)
    text = report.scenario.description.strip().splitlines()
    description = "\n".join(fitted for line in text for fitted in _fit(f"  {line}".rstrip(), "  "))
    return "\n\n".join([title, description, timeline_table(report), checks_block(report)]) + "\n"


def summary_table(rows: list[tuple[str, str, str, str]]) -> str:
    """``run --all``: scenario, clock, checks, verdict per line."""
    header = ("scenario", "clock", "checks / wall", "result")
    lines = table(header, rows, align="<<<<")
    widths = [max(width(r[i]) for r in [header, *rows]) for i in range(4)]
    lines.insert(1, GAP.join("-" * w for w in widths))
    return "\n".join(lines)
