"""The lab's terminal report: fits 100 columns and keeps its columns aligned when rows hold Korean text."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from fake_kiwoom.scenario_model import Narrative, Scenario
from kiwoom_lab.checks import Check
from kiwoom_lab.render_text import WIDTH, header, narrative_block, render, summary_table, timeline_table
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


def test_the_header_names_the_set_overrides_in_the_chosen_language() -> None:
    experiment = dataclasses.replace(report(), overrides={"KIWOOM_RETRY_DELAY": "0.2", "KIWOOM_TIMEOUT": "5"})
    assert header(experiment, "ko").splitlines()[1] == "설정 변경 (--set): KIWOOM_RETRY_DELAY=0.2, KIWOOM_TIMEOUT=5"
    assert header(experiment, "en").splitlines()[1] == "overrides (--set): KIWOOM_RETRY_DELAY=0.2, KIWOOM_TIMEOUT=5"
    assert render(experiment, "en").startswith(header(experiment, "en") + "\n\n")


def test_a_run_without_overrides_has_no_overrides_line() -> None:
    assert "--set" not in header(report(), "ko")
    assert "--set" not in header(report(), "en")


def test_render_shows_the_narrative_of_the_chosen_language_only() -> None:
    both = Narrative(ko="재시도를 세 번 합니다.", en="It retries three times.")
    bilingual = dataclasses.replace(report(), scenario=Scenario(version=1, name="both", description=both))
    assert "재시도를 세 번 합니다." in render(bilingual, "ko")
    assert "It retries" not in render(bilingual, "ko")
    assert "It retries three times." in render(bilingual, "en")
    assert "재시도" not in render(bilingual, "en").split("\n\n")[1]


#: Words as lessons have them: Korean, English, setting names, and the odd very long token.
WORDS = st.sampled_from(
    ["재시도", "서킷", "브레이커가", "열립니다.", "backoff", "KIWOOM_STALE_IF_ERROR_S", "(3600초),"]
)
LONG = st.text(alphabet="가나다abc", min_size=60, max_size=80)


@given(st.lists(st.lists(st.one_of(WORDS, LONG), min_size=1, max_size=40), min_size=1, max_size=6))
def test_any_narrative_fits_the_terminal_and_keeps_every_character(lines: list[list[str]]) -> None:
    text = "\n".join(" ".join(words) for words in lines)
    block = narrative_block(Scenario(version=1, name="any", description=Narrative(ko=text, en="x")), "ko")
    assert all(width(line) <= WIDTH for line in block.splitlines())
    assert "".join(block.split()) == "".join(text.split())
