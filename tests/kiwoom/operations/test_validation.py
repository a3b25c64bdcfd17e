"""Argument validation: every rule names the argument and the rule."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiwoom.errors import InvalidInputError
from kiwoom.operations import validation


@pytest.mark.parametrize("code", ["005930", "000660", "0000J0", "005930_NX", "005930_AL", " 005930 "])
def test_valid_stock_codes(code: str) -> None:
    assert validation.stock_code(code) == code.strip()


@pytest.mark.parametrize("code", ["", "5930", "0059300", "A005930", "005930_XX", "삼성전자", "abcdef", "00593o"])
def test_invalid_stock_codes_name_the_argument(code: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        validation.stock_code(code)
    assert info.value.field == "stock_code"
    assert "6자리" in info.value.rule


@given(st.one_of(st.integers(), st.none(), st.lists(st.text()), st.floats()))
def test_non_string_codes_rejected(value: Any) -> None:
    with pytest.raises(InvalidInputError):
        validation.stock_code(value)


def test_batch_limits() -> None:
    assert validation.stock_codes(["005930", "005930", "000660"]) == ["005930", "000660"]
    with pytest.raises(InvalidInputError, match="최대 100개"):
        validation.stock_codes([f"{i:06d}" for i in range(101)])
    with pytest.raises(InvalidInputError, match="1개 이상"):
        validation.stock_codes([])
    with pytest.raises(InvalidInputError, match="list"):
        validation.stock_codes("005930")
    with pytest.raises(InvalidInputError) as info:
        validation.stock_codes(["005930", "bad"])
    assert info.value.field == "stock_codes[1]"


def test_interval_and_days() -> None:
    assert validation.interval("day") == "day"
    assert validation.interval("5m") == "5m"
    with pytest.raises(InvalidInputError, match="interval"):
        validation.interval("2m")
    assert validation.days(1000, "day") == 1000
    with pytest.raises(InvalidInputError, match="1 이상 30 이하"):
        validation.days(31, "1m")
    with pytest.raises(InvalidInputError, match="정수"):
        validation.days(True, "day")
    with pytest.raises(InvalidInputError, match="1 이상"):
        validation.days(0, "day")


def test_search_query_rules() -> None:
    assert validation.search_query(" 삼성 ") == "삼성"
    with pytest.raises(InvalidInputError, match="query"):
        validation.search_query("   ")
    with pytest.raises(InvalidInputError, match="50자"):
        validation.search_query("x" * 51)


@given(st.text(alphabet="0123456789", min_size=7, max_size=14))
def test_masked_account_hides_the_middle(account: str) -> None:
    masked = validation.mask_account(account)
    assert len(masked) == len(account)
    assert masked[:4] == account[:4]
    assert masked[-2:] == account[-2:]
    assert set(masked[4:-2]) == {"*"}


@pytest.mark.parametrize(
    "call",
    [
        lambda: validation.stock_code("x" * 10_000),
        lambda: validation.stock_codes(["005930", "y" * 10_000]),
        lambda: validation.interval("z" * 10_000),
        lambda: validation.days(10**5000, "day"),
        lambda: validation.search_query("q" * 10_000),
    ],
)
def test_rule_texts_echo_at_most_a_few_dozen_characters(call: Any) -> None:
    with pytest.raises(InvalidInputError) as info:
        call()
    assert len(str(info.value)) <= 200


def test_echo_cuts_long_text_with_an_ellipsis() -> None:
    echoed = validation.echo("가" * 1000)
    assert len(echoed) == validation.ECHO_LIMIT
    assert echoed.endswith("…")
    assert validation.echo("005930") == "005930"


def test_echo_keeps_a_message_on_one_line() -> None:
    assert "\n" not in validation.echo("005930\n다음 줄")


@given(st.one_of(st.integers(), st.none(), st.booleans(), st.floats(), st.lists(st.integers()), st.text()))
def test_echo_of_any_value_is_short(value: Any) -> None:
    assert len(validation.echo(value)) <= validation.ECHO_LIMIT


def test_echo_of_an_integer_too_long_to_print() -> None:
    assert len(validation.echo(10**5000)) <= validation.ECHO_LIMIT


@pytest.mark.parametrize("value", [True, False, 1.0, "30", None])
def test_days_must_be_a_real_integer(value: Any) -> None:
    with pytest.raises(InvalidInputError, match="정수"):
        validation.days(value, "day")


def test_wrong_type_names_the_json_type_received() -> None:
    with pytest.raises(InvalidInputError, match="boolean"):
        validation.days(True, "day")
    with pytest.raises(InvalidInputError, match="null"):
        validation.stock_code(None)
