"""Each TR's field names, all-string values and headers, plus ka10095/ka10099 specifics."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from fake_kiwoom.listings import LISTINGS, MARKET_CODES, Market
from tests.support.fake import SAMPLE_BODIES, call_tr, issue_token, make_client, unlimited

KA10001_FIELDS = [
    "stk_cd",
    "stk_nm",
    "setl_mm",
    "fav",
    "cap",
    "flo_stk",
    "crd_rt",
    "oyr_hgst",
    "oyr_lwst",
    "mac",
    "mac_wght",
    "for_exh_rt",
    "repl_pric",
    "per",
    "eps",
    "roe",
    "pbr",
    "ev",
    "bps",
    "sale_amt",
    "bus_pro",
    "cup_nga",
    "250hgst",
    "250lwst",
    "high_pric",
    "open_pric",
    "low_pric",
    "upl_pric",
    "lst_pric",
    "base_pric",
    "exp_cntr_pric",
    "exp_cntr_qty",
    "cur_prc",
    "pre_sig",
    "pred_pre",
    "flu_rt",
    "trde_qty",
    "trde_pre",
    "fav_unit",
    "dstr_stk",
    "dstr_rt",
]
KA10004_FIELDS = [
    "bid_req_base_tm", "sel_fpr_bid", "sel_fpr_req", "buy_fpr_bid", "buy_fpr_req", "tot_sel_req", "tot_buy_req",
    *(f"{side}_{n}th_pre_{kind}" for n in range(2, 11) for side in ("sel", "buy") for kind in ("bid", "req")),
]  # fmt: skip
KA10007_FIELDS = [
    "stk_nm",
    "date",
    "tm",
    "pred_close_pric",
    "upl_pric",
    "lst_pric",
    "cur_prc",
    "smbol",
    "flu_rt",
    "open_pric",
    "high_pric",
    "low_pric",
    "trde_qty",
    "trde_prica",
    "pred_pre",
    "pre_sig",
]
KA10095_ROW = [
    "stk_cd",
    "stk_nm",
    "cur_prc",
    "base_pric",
    "pred_pre",
    "pre_sig",
    "flu_rt",
    "trde_qty",
    "trde_prica",
    "open_pric",
    "high_pric",
    "low_pric",
    "upl_pric",
    "lst_pric",
]
KA10099_ROW = [
    "code",
    "name",
    "listCount",
    "regDay",
    "lastPrice",
    "state",
    "marketCode",
    "marketName",
    "upName",
    "upSizeName",
    "companyClassName",
    "orderWarning",
    "nxtEnable",
]
MINUTE_ROW = [
    "cntr_tm",
    "open_pric",
    "high_pric",
    "low_pric",
    "cur_prc",
    "trde_qty",
    "acc_trde_qty",
    "pred_pre",
    "pred_pre_sig",
]
DAILY_ROW = [
    "dt",
    "open_pric",
    "high_pric",
    "low_pric",
    "cur_prc",
    "trde_qty",
    "trde_prica",
    "pred_pre",
    "pred_pre_sig",
    "trde_tern_rt",
]
KT00001_FIELDS = ["entr", "d1_entra", "d2_entra", "ord_alow_amt", "pymn_alow_amt"]
KT00004_FIELDS = [
    "acnt_nm",
    "brch_nm",
    "entr",
    "d2_entra",
    "tot_est_amt",
    "aset_evlt_amt",
    "tot_pur_amt",
    "prsm_dpst_aset_amt",
    "tdy_lspft",
    "lspft",
    "lspft_rt",
]
KT00004_ROW = ["stk_cd", "stk_nm", "rmnd_qty", "avg_prc", "cur_prc", "evlt_amt", "pl_amt", "pl_rt", "pur_amt"]
KT00018_FIELDS = ["tot_pur_amt", "tot_evlt_amt", "tot_evlt_pl", "tot_prft_rt", "prsm_dpst_aset_amt"]
KT00018_ROW = [
    "stk_cd",
    "stk_nm",
    "evltv_prft",
    "prft_rt",
    "pur_pric",
    "rmnd_qty",
    "trde_able_qty",
    "cur_prc",
    "pur_amt",
    "evlt_amt",
]

EXPECTED: dict[str, tuple[list[str], str | None, list[str]]] = {
    "ka10001": (KA10001_FIELDS, None, []),
    "ka10004": (KA10004_FIELDS, None, []),
    "ka10007": (KA10007_FIELDS, None, []),
    "ka10095": ([], "atn_stk_infr", KA10095_ROW),
    "ka10099": ([], "list", KA10099_ROW),
    "ka10080": (["stk_cd"], "stk_min_pole_chart_qry", MINUTE_ROW),
    "ka10081": (["stk_cd"], "stk_dt_pole_chart_qry", DAILY_ROW),
    "kt00001": (KT00001_FIELDS, None, []),
    "kt00004": (KT00004_FIELDS, "stk_acnt_evlt_prst", KT00004_ROW),
    "kt00018": (KT00018_FIELDS, "acnt_evlt_remn_indv_tot", KT00018_ROW),
}


@pytest.fixture(scope="module")
def session() -> tuple[TestClient, str]:
    client, _ = make_client(unlimited())
    return client, issue_token(client)


def _all_strings(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _all_strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _all_strings(item, f"{where}[{i}]")
    else:
        assert isinstance(value, str), f"{where} is {value!r}"


@pytest.mark.parametrize("api_id", sorted(EXPECTED))
def test_tr_fields_headers_and_string_values(session: tuple[TestClient, str], api_id: str) -> None:
    client, token = session
    response = call_tr(client, token, api_id, SAMPLE_BODIES[api_id])
    assert response.status_code == 200
    assert response.headers["api-id"] == api_id
    assert response.headers["cont-yn"] in ("Y", "N")
    assert len(response.headers["next-key"]) <= 50
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    body = response.json()
    assert body.pop("return_code") == 0
    assert body.pop("return_msg") == "정상적으로 처리되었습니다"
    fields, list_key, row_fields = EXPECTED[api_id]
    assert set(fields) <= set(body), set(fields) - set(body)
    _all_strings(body, api_id)
    if list_key is not None:
        rows = body[list_key]
        assert rows, f"{api_id} returned no rows"
        for row in rows:
            assert set(row_fields) <= set(row), set(row_fields) - set(row)


@pytest.mark.parametrize("suffix", ["", "_NX", "_AL"])
def test_stock_code_suffix_is_echoed(session: tuple[TestClient, str], suffix: str) -> None:
    client, token = session
    body = call_tr(client, token, "ka10001", {"stk_cd": f"005930{suffix}"}).json()
    assert body["stk_cd"] == f"005930{suffix}"
    assert body["stk_nm"] == "삼성전자"


def test_ka10001_price_signs_follow_previous_close(session: tuple[TestClient, str]) -> None:
    client, token = session
    body = call_tr(client, token, "ka10001", {"stk_cd": "000660"}).json()
    base = int(body["base_pric"])
    price = int(body["cur_prc"].lstrip("+-"))
    sign = body["cur_prc"][0] if body["cur_prc"][0] in "+-" else ""
    assert sign == ("+" if price > base else "-" if price < base else "")
    assert int(body["pred_pre"]) == price - base
    assert body["upl_pric"].startswith("+")
    assert body["lst_pric"].startswith("-")
    assert body["pre_sig"] in {"1", "2", "3", "4", "5"}


def test_ka10095_unknown_code_gives_blank_row(session: tuple[TestClient, str]) -> None:
    client, token = session
    rows = call_tr(client, token, "ka10095", {"stk_cd": "005930|123456|035720_NX"}).json()["atn_stk_infr"]
    assert [r["stk_cd"] for r in rows] == ["005930", "", "035720_NX"]  # live leaves even stk_cd blank
    blank = rows[1]
    assert all(v == "" for v in blank.values())
    assert rows[0]["stk_nm"] == "삼성전자"
    assert rows[2]["stk_nm"] == "카카오"


@pytest.mark.parametrize(
    ("mrkt_tp", "markets"),
    [  # ETFs and ETNs trade on the KOSPI market
        ("0", {Market.KOSPI, Market.ETF, Market.ETN}),
        ("10", {Market.KOSDAQ}),
        ("8", {Market.ETF}),
    ],
)
def test_ka10099_filters_by_market(session: tuple[TestClient, str], mrkt_tp: str, markets: set[Market]) -> None:
    client, token = session
    rows = call_tr(client, token, "ka10099", {"mrkt_tp": mrkt_tp}).json()["list"]
    assert {r["code"] for r in rows} == {item.code for item in LISTINGS if item.market in markets}
    by_code = {item.code: item for item in LISTINGS}
    for row in rows:
        assert row["marketCode"] == MARKET_CODES[by_code[row["code"]].market]  # the row's own product type
        assert len(row["lastPrice"]) == 8
        assert row["lastPrice"].isdigit()
        assert all(key[0].islower() and "_" not in key for key in row)


@pytest.mark.parametrize("mrkt_tp", ["3", "50"])
def test_ka10099_other_markets_are_empty(session: tuple[TestClient, str], mrkt_tp: str) -> None:
    client, token = session
    body = call_tr(client, token, "ka10099", {"mrkt_tp": mrkt_tp}).json()
    assert body["return_code"] == 0
    assert body["list"] == []


def test_ka10004_totals_match_levels(session: tuple[TestClient, str]) -> None:
    client, token = session
    body = call_tr(client, token, "ka10004", {"stk_cd": "035420"}).json()
    ask_keys = ["sel_fpr_req", *(f"sel_{n}th_pre_req" for n in range(2, 11))]
    bid_keys = ["buy_fpr_req", *(f"buy_{n}th_pre_req" for n in range(2, 11))]
    assert sum(int(body[k]) for k in ask_keys) == int(body["tot_sel_req"])
    assert sum(int(body[k]) for k in bid_keys) == int(body["tot_buy_req"])
    asks = [int(body[k.replace("_req", "_bid")].lstrip("+-")) for k in ask_keys]
    bids = [int(body[k.replace("_req", "_bid")].lstrip("+-")) for k in bid_keys]
    assert asks == sorted(asks)
    assert bids == sorted(bids, reverse=True)
    assert asks[0] > bids[0]


def test_accounts_are_consistent(session: tuple[TestClient, str]) -> None:
    client, token = session
    k18 = call_tr(client, token, "kt00018", SAMPLE_BODIES["kt00018"]).json()
    rows = k18["acnt_evlt_remn_indv_tot"]
    assert len(rows) >= 5
    for row in rows:
        assert row["stk_cd"].startswith("A")
        assert len(row["stk_cd"]) == 7
        qty, price, avg = int(row["rmnd_qty"]), int(row["cur_prc"]), int(row["pur_pric"])
        assert int(row["evlt_amt"]) == qty * price
        assert int(row["pur_amt"]) == qty * avg
        assert int(row["evltv_prft"]) == qty * price - qty * avg
        assert float(row["prft_rt"]) == pytest.approx((price - avg) / avg * 100, abs=0.006)
        quote = call_tr(client, token, "ka10001", {"stk_cd": row["stk_cd"][1:]}).json()
        assert price == int(quote["cur_prc"].lstrip("+-"))
    assert int(k18["tot_evlt_amt"]) == sum(int(r["evlt_amt"]) for r in rows)
    assert int(k18["tot_pur_amt"]) == sum(int(r["pur_amt"]) for r in rows)
    assert int(k18["tot_evlt_pl"]) == int(k18["tot_evlt_amt"]) - int(k18["tot_pur_amt"])
    k04 = call_tr(client, token, "kt00004", SAMPLE_BODIES["kt00004"]).json()
    assert int(k04["tot_est_amt"]) == int(k18["tot_evlt_amt"])
    assert all(len(k04[f]) == 12 for f in ("entr", "tot_est_amt", "tot_pur_amt"))
    k01 = call_tr(client, token, "kt00001", SAMPLE_BODIES["kt00001"]).json()
    assert all(len(k01[f]) == 15 for f in KT00001_FIELDS)
    assert int(k04["prsm_dpst_aset_amt"]) == int(k01["d2_entra"]) + int(k04["tot_est_amt"])
