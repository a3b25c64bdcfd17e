"""The terminal view of a run: the timeline as a table, then one line per expectation.

Plain text with fixed columns (no colour library): it must read the same in a terminal,
a CI log and a pasted bug report. Columns are padded by display width (a Korean syllable
is two columns, :mod:`krx.textwidth`), and every line stays within :data:`WIDTH` columns:
details wrap inside their column, over-long labels are cut with ``…``.

The lesson's narrative and the few words around it (the header, the verdict line) come in
the learner's language (``lang``, Korean by default); the timeline and the checks keep the
labels the code and the scenario files use (``request``, ``PASS``, ``attempts``), so a line
reads the same in a bug report whichever language printed it.
"""

from __future__ import annotations

import re

from fake_kiwoom.scenario_model import Lang, Scenario
from kiwoom_lab.report import RunReport
from kiwoom_lab.timeline import Event
from krx.textwidth import pad, table, truncate, width, wrap

#: Terminal columns no line of the report exceeds.
WIDTH = 100
#: Column widths of ``t+s``, ``kind`` and ``what``; ``detail`` takes the rest of the line.
T_COLUMNS, KIND_COLUMNS, LABEL_COLUMNS = 9, 8, 14
GAP = "  "
DETAIL_AT = T_COLUMNS + KIND_COLUMNS + LABEL_COLUMNS + 3 * len(GAP)

#: The terminal's own words in each language; ``str.format`` fields are filled by :func:`ui`.
UI: dict[str, dict[Lang, str]] = {
    "virtual": {"ko": "가상 시계: 기다림에 실제 시간이 들지 않음", "en": "virtual clock (waits cost no wall time)"},
    "real": {"ko": "실제 시계", "en": "real clock"},
    "virtual_tag": {"ko": "[가상 시계]", "en": "[virtual clock]"},
    "title": {
        "ko": "{name}  ({source}, {clock}, 실제 {wall:.1f}초 경과)",
        "en": "{name}  ({source}, {clock}, {wall:.1f} s wall)",
    },
    "overrides": {"ko": "설정 변경 (--set): {pairs}", "en": "overrides (--set): {pairs}"},
    "verdict": {
        "ko": "{verdict}: 기대 결과 {total}개 중 {met}개 충족",
        "en": "{verdict}: {met}/{total} expectations met",
    },
    "no_checks": {
        "ko": "(이 시나리오의 expect 블록은 아무것도 확인하지 않습니다)",
        "en": "(the scenario's expect block checks nothing)",
    },
    "tally": {
        "ko": "{total}개 중 {passed}개 통과, {seconds:.1f}초",
        "en": "{passed} of {total} passed in {seconds:.1f} s",
    },
}


def ui(key: str, lang: Lang, **values: object) -> str:
    """The terminal phrase ``key`` in ``lang``, its fields filled from ``values``."""
    return UI[key][lang].format(**values)


def _row(t: str, kind: str, label: str, detail: str) -> str:
    cells = [pad(t, T_COLUMNS, ">"), pad(kind, KIND_COLUMNS), pad(truncate(label, LABEL_COLUMNS), LABEL_COLUMNS)]
    return (GAP.join(cells) + GAP + detail).rstrip()


def _took(events: list[Event]) -> str:
    low, high = min(e.duration_s for e in events), max(e.duration_s for e in events)
    return f", took {low:.3f} s" if f"{low:.3f}" == f"{high:.3f}" else f", took {low:.3f}–{high:.3f} s"


def _numbers(calls: list[int]) -> str:
    """``[2, 3, 4, 7]`` → ``2–4, 7``."""
    runs: list[list[int]] = []
    for n in sorted(calls):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{run[0]}–{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)) for run in runs)


def _cells(group: list[Event]) -> tuple[str, str, str, str]:
    """The ``t+s``, ``kind``, ``what`` and ``detail`` of one row: one event, or a folded group of alike events."""
    first = group[0]
    took = _took(group) if first.kind == "call" and first.duration_s else ""
    if len(group) == 1:
        return f"{first.t:.3f}", first.kind, first.label, first.detail + took
    label = f"{first.label} ×{len(group)}"
    if first.kind != "call":
        return f"{first.t:.3f}", first.kind, label, f"{first.detail} ({len(group)} times)"
    calls = [int(m.group(1)) for e in group if (m := _CALL_NAME.match(e.detail))]
    return f"{first.t:.3f}", "call", label, f"calls {_numbers(calls)} at once{_alike(first)}{took}"


#: ``call 3 (000660)`` and ``, price=186200``: what differs between alike calls of a burst.
_CALL_NAME = re.compile(r"call (\d+)(?: \([^)]*\))?")
_PRICE = re.compile(r", price=[^,]*")


def _alike(event: Event) -> str:
    """A call's detail without its number, code and price: equal for the calls one request answered."""
    return _PRICE.sub("", _CALL_NAME.sub("", event.detail, count=1))


def fold(events: list[Event]) -> list[list[Event]]:
    """Concurrent calls (and their cache lookups) that went alike, each kind in one row.

    Calls fold when they overlap in time and differ only in number, code and price (same
    source, attempts, answering request); cache events when identical. Only calls and cache
    events between them fold, so requests, retries and fallbacks keep a row each.
    """
    rows: list[list[Event]] = []
    for event in events:
        target = None
        for row in reversed(rows):
            if row[0].kind not in ("call", "cache"):
                break
            if event.kind == row[0].kind and _same(row[0], event):
                target = row
                break
        if target is None:
            rows.append([event])
        else:
            target.append(event)
    return rows


def _same(first: Event, event: Event) -> bool:
    if event.kind == "cache":
        return (event.label, event.detail) == (first.label, first.detail)
    overlaps = event.t <= first.t + first.duration_s
    return overlaps and event.label == first.label and _alike(event) == _alike(first)


def timeline_table(report: RunReport, *, detail_width: int = WIDTH - DETAIL_AT) -> str:
    """``t+s | kind | label | detail`` rows, in the order things happened; long details wrap in their column.

    A run of concurrent calls (``expect.concurrent``) folds alike calls into one row (:func:`fold`).
    """
    lines = [_row("t+s", "kind", "what", "detail"), "-" * WIDTH]
    groups = fold(report.events) if report.expect.concurrent else [[event] for event in report.events]
    for group in groups:
        t, kind, label, detail = _cells(group)
        wrapped = wrap(detail, detail_width) or [""]
        lines.append(_row(t, kind, label, wrapped[0]))
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


def checks_block(report: RunReport, lang: Lang = "ko") -> str:
    """One line per expectation (``PASS``/``FAIL`` as the checks word them), then the verdict."""
    lines = [line for check in report.checks for line in _fit(check.line(), " " * 6)]
    lines = lines or [ui("no_checks", lang)]
    met = sum(check.passed for check in report.checks)
    verdict = "PASSED" if report.passed else "FAILED"
    lines.append(ui("verdict", lang, verdict=verdict, met=met, total=len(report.checks)))
    return "\n".join(lines)


def overrides_lines(overrides: dict[str, str], lang: Lang = "ko") -> list[str]:
    """``설정 변경 (--set): KIWOOM_RETRY_DELAY=0.2``, wrapped; no lines for a run without ``--set``.

    A run with overrides is an experiment, not the lesson as written: its header says so, so a
    failed expectation is read against the change that caused it.
    """
    if not overrides:
        return []
    pairs = ", ".join(f"{name}={value}" for name, value in overrides.items())
    return _fit(ui("overrides", lang, pairs=pairs), "  ")


def header(report: RunReport, lang: Lang = "ko") -> str:
    """The scenario, its file, its clock and wall time; then the ``--set`` overrides, if any.

    A title too wide for the terminal (a long path, the Korean clock note) wraps rather than
    losing its end, which holds the wall time.
    """
    clock = ui("virtual" if report.clock == "virtual" else "real", lang)
    title = ui("title", lang, name=report.scenario.name, source=report.source, clock=clock, wall=report.wall_s)
    return "\n".join([*_fit(title, "  "), *overrides_lines(report.overrides, lang)])


def narrative_block(scenario: Scenario, lang: Lang = "ko") -> str:
    """The lesson's text in ``lang``, indented two columns, each line within :data:`WIDTH` display columns.

    The file's own line breaks are kept (they separate the lesson's parts: what happens, what a
    good client does, the settings); only a line too wide for the terminal is wrapped, by
    display width, so Korean (two columns a syllable) never runs past the edge.
    """
    text = scenario.narrative(lang).strip().splitlines()
    return "\n".join(fitted for line in text for fitted in _fit(f"  {line}".rstrip(), "  "))


def render(report: RunReport, lang: Lang = "ko") -> str:
    """The whole terminal report of one run, its narrative and header in ``lang``."""
    parts = [header(report, lang), narrative_block(report.scenario, lang), timeline_table(report)]
    return "\n\n".join([*parts, checks_block(report, lang)]) + "\n"


def summary_table(rows: list[tuple[str, str, str, str]]) -> str:
    """``run --all``: scenario, clock, checks, verdict per line."""
    header = ("scenario", "clock", "checks / wall", "result")
    lines = table(header, rows, align="<<<<")
    widths = [max(width(r[i]) for r in [header, *rows]) for i in range(4)]
    lines.insert(1, GAP.join("-" * w for w in widths))
    return "\n".join(lines)
