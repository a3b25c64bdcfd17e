"""Terminal display width: Korean syllables take two columns, so padding counts columns, not characters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from krx.textwidth import pack, pad, table, truncate, width, wrap
from tests.support.columns import cells

MIXED = st.text(alphabet=st.sampled_from("가나다삼성전자 abcXYZ012-"), max_size=40)


def test_korean_syllables_are_two_columns_wide() -> None:
    assert width("삼성전자") == 8
    assert width("SK하이닉스") == 10
    assert width("NAVER") == 5


def test_combining_marks_take_no_column() -> None:
    assert width("e\u0301") == 1


def test_pad_fills_to_display_columns_on_either_side() -> None:
    assert pad("삼성", 6) == "삼성  "
    assert pad("삼성", 6, align=">") == "  삼성"


@given(MIXED, st.integers(min_value=1, max_value=30))
def test_truncate_never_exceeds_the_width_and_marks_the_cut(text: str, limit: int) -> None:
    cut = truncate(text, limit)
    assert width(cut) <= limit
    assert cut == text or cut.endswith("…")


@given(MIXED, st.integers(min_value=2, max_value=30))
def test_wrap_keeps_every_line_within_the_width_and_loses_no_word(text: str, limit: int) -> None:
    lines = wrap(text, limit)
    assert all(width(line) <= limit for line in lines)
    assert "".join("".join(lines).split()) == "".join(text.split())


def test_table_aligns_korean_and_english_cells_on_the_same_columns() -> None:
    lines = table(["종목명", "현재가"], [["삼성전자", "77,000"], ["NAVER", "187,100"]], align="<>")
    spans = [cells(line) for line in lines]
    assert {row[0][0] for row in spans} == {0}  # left-aligned: every cell starts on one column
    assert len({row[1][1] for row in spans}) == 1  # right-aligned: every cell ends on one column


def test_pack_wraps_between_items_and_never_inside_one() -> None:
    items = [f"2026-11-2{d} 7{d},900" for d in range(5)]
    lines = pack(items, 40, first="005930 최근 5일 종가: ")
    assert all(width(line) <= 40 for line in lines)
    assert all(line.startswith("  ") for line in lines[1:])
    assert sum(line.count("2026-") for line in lines) == 5
    assert all(item in "\n".join(lines) for item in items)
