"""Value decoding and envelope checks, covering every encoding in kiwoom-protocol.md."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiwoom.errors import (
    KiwoomAPIError,
    KiwoomAuthError,
    KiwoomHTTPError,
    KiwoomResponseError,
    RateLimitError,
    StockNotFoundError,
    TokenExpiredError,
)
from kiwoom.transport.protocol import check_envelope, decode_float, decode_int, decode_price, detail_code

magnitudes = st.integers(min_value=0, max_value=4_294_967_295)


@given(magnitudes, st.sampled_from(["", "+", "-"]), st.booleans())
def test_price_drops_direction_sign(value: int, direction: str, thousands: bool) -> None:
    digits = f"{value:,}" if thousands else str(value)
    assert decode_price(f"{direction}{digits}") == value


@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_signed_change_keeps_its_sign(value: int) -> None:
    text = f"+{value}" if value > 0 else str(value)
    assert decode_int(text) == value


@given(st.integers(min_value=-(10**13), max_value=10**14), st.sampled_from([12, 15]))
def test_zero_padded_account_amounts(value: int, width: int) -> None:
    text = f"-{abs(value):0{width - 1}d}" if value < 0 else f"{value:0{width}d}"
    assert decode_int(text) == value


@given(st.integers(min_value=1, max_value=10**12))
def test_doubled_minus_sign_reads_negative(value: int) -> None:
    assert decode_int(f"--{value}") == -value


@given(st.decimals(min_value=Decimal("-30"), max_value=Decimal("30"), places=2))
def test_rates_round_trip(value: Decimal) -> None:
    text = f"+{value}" if value > 0 else str(value)
    decoded = decode_float(text)
    assert decoded is not None
    assert decoded == pytest.approx(float(value))


@pytest.mark.parametrize("text", ["-0", "+0", "0", "000000000000000"])
def test_zero_in_every_spelling(text: str) -> None:
    assert decode_int(text) == 0
    assert decode_price(text) == 0


@pytest.mark.parametrize("text", ["", "   "])
def test_blank_means_no_value(text: str) -> None:
    assert decode_int(text) is None
    assert decode_price(text) is None
    assert decode_float(text) is None


def test_saturated_values_survive() -> None:
    assert decode_int("4294967295") == 4294967295
    assert decode_int("2147483647") == 2147483647


def test_thousands_separator() -> None:
    assert decode_price("20,190") == 20190


@pytest.mark.parametrize("text", ["abc", "1-2", "+-", "1.2.3"])
def test_garbage_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="not a Kiwoom number"):
        decode_int(text)


def test_detail_code_from_bracket() -> None:
    assert detail_code("인증에 실패했습니다[8005:Token이 유효하지 않습니다]") == 8005
    assert detail_code("정상적으로 처리되었습니다") is None


def test_success_envelope_returns_body() -> None:
    body = {"return_code": 0, "return_msg": "정상적으로 처리되었습니다", "cur_prc": "-78800"}
    assert check_envelope("ka10001", 200, body) is body


@pytest.mark.parametrize(
    ("status", "return_code", "message", "error_type", "code"),
    [
        (200, 3, "인증에 실패했습니다[8005:Token이 유효하지 않습니다]", TokenExpiredError, 8005),
        (429, 5, "허용된 요청 개수를 초과하였습니다[1700:허용된 요청 개수를 초과하였습니다]", RateLimitError, 1700),
        (200, 2, "종목 정보가 없습니다[1902:종목 정보가 없습니다]", StockNotFoundError, 1902),
        (200, 3, "인증 실패[8001:App Key 검증 실패]", KiwoomAuthError, 8001),
        (400, 1, "[1504:해당 URI에서는 지원하는 API ID가 아닙니다]", KiwoomAPIError, 1504),
    ],
)
def test_error_envelopes_map_to_types(
    status: int, return_code: int, message: str, error_type: type[KiwoomAPIError], code: int
) -> None:
    with pytest.raises(error_type) as info:
        check_envelope("ka10001", status, {"return_code": return_code, "return_msg": message})
    assert info.value.code == code
    assert info.value.status_code == status


def test_http_error_without_envelope() -> None:
    with pytest.raises(KiwoomHTTPError, match="503"):
        check_envelope("ka10001", 503, {"error": "unavailable"})


def test_non_object_body_is_a_response_error() -> None:
    with pytest.raises(KiwoomResponseError, match="JSON object expected"):
        check_envelope("ka10001", 200, [1, 2])
