"""Name resolution, pure: which strings are looked up, which listing they resolve to, what a miss says."""

from __future__ import annotations

from typing import Any

import pytest

from kiwoom.errors import InvalidInputError
from kiwoom.operations import names

LISTING: list[dict[str, Any]] = [
    {"stock_code": "005930", "name": "삼성전자"},
    {"stock_code": "005935", "name": "삼성전자우"},
    {"stock_code": "207940", "name": "삼성바이오로직스"},
    {"stock_code": "035720", "name": "카카오"},
    {"stock_code": "293490", "name": "카카오게임즈"},
    {"stock_code": "003550", "name": "LG"},
    {"stock_code": "066570", "name": "LG전자"},
]


@pytest.mark.parametrize("value", ["삼성전자", "samsung", "Kakao Games", "abcdef", "KODEX 200"])
def test_name_like_strings_are_looked_up(value: str) -> None:
    assert names.is_name(value)


@pytest.mark.parametrize("value", ["005930", "A005930", "5930", "005930_XX", "", "  ", None, 5930, "x" * 51])
def test_codes_mistyped_codes_and_non_strings_are_not_looked_up(value: Any) -> None:
    assert not names.is_name(value)


def test_an_exact_name_resolves_though_it_prefixes_another() -> None:
    assert names.resolve(LISTING, "삼성전자", "stock_code") == "005930"


def test_a_name_matching_one_listing_resolves() -> None:
    assert names.resolve(LISTING, "바이오로직", "stock_code") == "207940"


def test_an_exact_name_ignores_case_and_spaces() -> None:
    assert names.resolve(LISTING, "lg", "stock_code") == "003550"


def test_an_ambiguous_name_lists_candidates_best_first() -> None:
    with pytest.raises(InvalidInputError) as info:
        names.resolve(LISTING, "삼성", "stock_code")
    assert info.value.field == "stock_code"
    assert info.value.rule.index("삼성전자(005930)") < info.value.rule.index("삼성전자우(005935)")
    assert "search_stock" in info.value.rule


def test_candidates_are_capped() -> None:
    many = [{"stock_code": f"{i:06d}", "name": f"테스트{i}"} for i in range(20)]
    with pytest.raises(InvalidInputError) as info:
        names.resolve(many, "테스트", "stock_code")
    assert info.value.rule.count("테스트") == names.MAX_CANDIDATES + 1  # the candidates, and the name echoed


def test_an_unknown_name_points_to_search() -> None:
    with pytest.raises(InvalidInputError) as info:
        names.resolve(LISTING, "없는회사", "stock_code")
    assert "search_stock" in info.value.rule
    assert "005930" in info.value.rule  # the code rule's example: what a code looks like


def test_only_names_in_a_batch_are_looked_up() -> None:
    assert names.names_in(["005930", "삼성전자", 7], "stock_codes") == {"stock_codes[1]": "삼성전자"}


def test_a_list_is_no_name_for_a_single_code() -> None:
    assert names.names_in(["삼성전자"], "stock_code") == {}


def test_a_string_is_no_batch() -> None:
    assert names.names_in("삼성전자", "stock_codes") == {}


def test_substitute_swaps_names_for_codes_and_says_which() -> None:
    value, resolved = names.substitute(["005930", " 카카오 "], "stock_codes", LISTING)
    assert value == ["005930", "035720"]
    assert resolved == {"035720": "카카오"}


def test_tagged_marks_the_resolved_quote_of_a_batch_only() -> None:
    data = {"prices": [{"stock_code": "005930"}, {"stock_code": "000660"}], "source": "live"}
    tagged = names.tagged(data, {"005930": "삼성전자"})
    assert tagged["prices"] == [{"stock_code": "005930", "resolved_from": "삼성전자"}, {"stock_code": "000660"}]
    assert data["prices"][0] == {"stock_code": "005930"}  # the cached result is left as it was


def test_tagged_marks_a_single_result() -> None:
    assert names.tagged({"stock_code": "005930"}, {"005930": "삼성전자"})["resolved_from"] == "삼성전자"
