"""The catalog's loader refuses broken specs with the file, the TR and the key; the request rules are Kiwoom's."""

from __future__ import annotations

import pytest

from tr_catalog import CATALOG, catalog_errors, decode, encode, matches, request_errors
from tr_catalog.model import parse_spec

SPEC = """
family: demo
trs:
  ka99999:
    name: 데모요청
    group: rkinfo
    source: test
    request:
      mrkt_tp: {required: true, allowed: ["000", "001"]}
      stk_cd: {pattern: code}
    example: {mrkt_tp: "000"}
    list: rows
    rows: {stk_cd: code, cur_prc: price}
"""


def test_the_shipped_catalog_loads() -> None:
    assert catalog_errors() is None
    assert {"ka10001", "ka10081", "kt00018"} <= set(CATALOG)


def test_a_spec_parses_into_rules_and_fields() -> None:
    (tr,) = parse_spec(SPEC, "demo.yaml")
    assert tr.path == "/api/dostk/rkinfo"
    assert tr.required == ("mrkt_tp",)
    assert [f.name for f in tr.rows] == ["stk_cd", "cur_prc"]


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (SPEC.replace("group: rkinfo", "group: nowhere"), "demo.yaml: ka99999: group 'nowhere'"),
        (SPEC.replace("cur_prc: price", "cur_prc: money"), "demo.yaml: ka99999.rows.cur_prc: unknown encoding"),
        (SPEC.replace('mrkt_tp: "000"', 'mrkt_tp: "999"'), "its example breaks its own request rules"),
        (SPEC.replace("ka99999", "ka9999"), "an api-id looks like"),
        (SPEC.replace("    source: test\n", ""), "'source' is required"),
        (SPEC.replace("list: rows", "lst: rows"), "unknown keys ['lst']"),
    ],
)
def test_a_broken_spec_is_refused_naming_what_is_wrong(broken: str, message: str) -> None:
    with pytest.raises(ValueError) as info:  # noqa: PT011 - the message is checked below
        parse_spec(broken, "demo.yaml")
    assert message in str(info.value)


def test_request_rules_give_kiwoom_codes() -> None:
    (tr,) = parse_spec(SPEC, "demo.yaml")
    assert request_errors(tr, {}) == [(1511, "필수입력 파라미터=mrkt_tp")]
    assert request_errors(tr, {"mrkt_tp": "101"})[0][0] == 1517
    assert request_errors(tr, {"mrkt_tp": "000", "stk_cd": "5930"})[0][0] == 1517
    assert request_errors(tr, {"mrkt_tp": "000", "stk_cd": "005930_NX"}) == []


@pytest.mark.parametrize(
    ("value", "encoding", "wire"),
    [
        ((72600, 72000), "price", "+72600"),
        ((71000, 72000), "price", "-71000"),
        ((72000, 72000), "price", "72000"),
        (-300, "signed", "-300"),
        (0, "signed", "0"),
        (1.234, "rate", "+1.23"),
        (0.0, "rate", "0.00"),
        (-180000, "padded15", "-00000000180000"),
        (10000000, "padded15", "000000010000000"),
        (True, "flag", "Y"),
        (None, "int", ""),
    ],
)
def test_values_encode_as_kiwoom_writes_them(value: object, encoding: str, wire: str) -> None:
    assert encode(value, encoding) == wire
    assert matches(wire, encoding)


@pytest.mark.parametrize(
    ("wire", "encoding", "value"),
    [
        ("-72600", "price", 72600),
        ("--23722054", "signed", -23722054),
        ("20,190", "int", 20190),
        ("+1.23", "rate", 1.23),
        ("-00000000180000", "padded15", -180000),
        ("20261130", "date", "2026-11-30"),
        ("153000", "time", "15:30:00"),
        ("20261130153000", "datetime", "2026-11-30T15:30:00"),
        ("", "int", None),
        ("n/a", "int", None),
    ],
)
def test_wire_values_decode_forgivingly(wire: str, encoding: str, value: object) -> None:
    assert decode(wire, encoding) == value
