"""The lab's terminal report: fits 100 columns and keeps its columns aligned when rows hold Korean text."""

from __future__ import annotations

from fake_kiwoom.scenario_model import Scenario
from kiwoom_lab.checks import Check
from kiwoom_lab.render_text import render, summary_table, timeline_table
from kiwoom_lab.runner import RunReport
from kiwoom_lab.spec import Expect
from kiwoom_lab.timeline import Event
from krx.textwidth import width
from tests.support.columns import cells

LONG_KOREAN = (
    "get_stock_price: 시도 1 실패 (KiwoomHTTPError: 키움 API 응답 오류 503, "
    "서버가 일시적으로 요청을 처리할 수 없습니다); 1초 후 재시도"
)


def report() -> RunReport:
    events = [
        Event(0.0, "call", "simulated", "call 1: source=simulated, attempts=3, price=73200", duration_s=3.19),
        Event(0.091, "request", "200", "au10001 → 200"),
        Event(0.095, "retry", "재시도 대기 1초", LONG_KOREAN),
        Event(1.097, "fallback", "샘플 데이터 (API 호출 실패)", "삼성전자 샘플 데이터로 응답"),
        Event(12345.5, "breaker", "open", "회로 차단기 열림 " * 12),
    ]
    checks = [
        Check("min_gaps_s", "at least [1, 2]", "[1.003, 2.004]", True, "gaps between arrivals of api_id=ka10001 " * 2)
    ]
    scenario = Scenario(version=1, name="korean_rows", description="재시도와 샘플 데이터를 보여 줍니다. " * 10)
    return RunReport(scenario, Expect(), "korean_rows.yaml", events, [], checks, [], 4.2)


def test_every_line_of_the_report_fits_in_100_columns() -> None:
    lines = render(report()).splitlines()
    too_wide = [line for line in lines if width(line) > 100]
    assert too_wide == []


def test_timeline_header_cells_start_where_the_row_cells_start() -> None:
    lines = timeline_table(report()).splitlines()
    header, rows = cells(lines[0]), [cells(line) for line in lines[2:] if not line.startswith(" " * 12)]
    # t+s is right-aligned (ends line up); kind, what and detail are left-aligned (starts line up).
    assert {row[0][1] for row in rows} == {header[0][1]}
    for column in (1, 2, 3):
        assert {row[column][0] for row in rows} == {header[column][0]}, lines


def test_wrapped_detail_lines_continue_in_the_detail_column() -> None:
    lines = timeline_table(report()).splitlines()
    detail_column = cells(lines[0])[3][0]
    continued = [line for line in lines[2:] if line.startswith(" " * 12)]
    assert continued
    assert {cells(line)[0][0] for line in continued} == {detail_column}


def test_summary_table_aligns_korean_cells() -> None:
    lines = summary_table([("재시도_시나리오", "real", "5/5 in 3.1 s", "PASS"), ("hang", "virtual", "1/1", "FAIL")])
    spans = [cells(line) for i, line in enumerate(lines.splitlines()) if i != 1]
    for column in range(4):
        assert len({row[column][0] for row in spans}) == 1


def test_a_wrapped_check_keeps_its_verdict_spacing_and_indents_the_rest() -> None:
    lines = render(report()).splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("PASS  min_gaps_s:"))
    assert lines[first + 1].startswith(" " * 6)
