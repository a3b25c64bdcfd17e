"""Field-level fidelity fixes third-party clients asked for (issue 14, part 3), asserted on the wire.

ETFs inside the KOSPI list (and the client keeping each once, as an ETF); ka10007 and ka10095
answering an unknown code with blanks; kt00004's field names; the venue suffixes ``_NX`` and
``_AL``; KRX's closing call auction in the minute bars; a TR sent to an unknown URL group.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from fake_kiwoom.listings import LISTINGS, Market
from fake_kiwoom.trs_stock import KA10007_FIELDS
from fake_kiwoom.venues import NXT_SHARE_RANGE, nxt_share
from krx.calendar import KST
from tests.support.fake import FakeClock, call_tr, issue_token, make_client, unlimited
from tests.support.harness import Harness, harness

ETFS = [item for item in LISTINGS if item.is_etf]
NXT_STOCK = "005930"  # 삼성전자: KOSPI 대형주, on Nextrade
KRX_ONLY_STOCK = "094360"  # 칩스앤미디어: KOSDAQ 소형주, KRX only
KRX_ONLY_ETF = "069500"  # KODEX 200
TUESDAY = datetime(2025, 11, 25, tzinfo=KST)  # a KRX trading day


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return TUESDAY.replace(hour=hour, minute=minute, second=second)


@pytest.fixture(scope="module")
def session() -> tuple[TestClient, str]:
    client, _ = make_client(unlimited())
    return client, issue_token(client)


def tr(session: tuple[TestClient, str], api_id: str, body: dict[str, str]) -> dict[str, Any]:
    client, token = session
    response = call_tr(client, token, api_id, body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def unsigned(value: str) -> int:
    return int(value.lstrip("+-"))


# --- 1. ka10099: ETFs are listed on KOSPI too; the client keeps each once, as an ETF -----------


def test_kospi_list_carries_every_etf_with_its_own_market_code(session: tuple[TestClient, str]) -> None:
    kospi = {row["code"]: row for row in tr(session, "ka10099", {"mrkt_tp": "0"})["list"]}
    etf_list = tr(session, "ka10099", {"mrkt_tp": "8"})["list"]
    kosdaq = {row["code"] for row in tr(session, "ka10099", {"mrkt_tp": "10"})["list"]}
    assert {item.code for item in ETFS} <= set(kospi)
    assert {row["code"] for row in etf_list} == {item.code for item in ETFS}  # 8 stays ETFs only
    assert not kosdaq & {item.code for item in ETFS}  # KRX ETFs trade on the securities market
    for item in ETFS:
        assert (kospi[item.code]["marketCode"], kospi[item.code]["marketName"]) == ("8", "ETF")
        assert kospi[item.code]["nxtEnable"] == "N"
    assert kospi[NXT_STOCK]["marketCode"] == "0"


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    async with harness() as opened:
        yield opened


@pytest.mark.anyio
async def test_search_finds_each_etf_once_under_the_etf_label(h: Harness) -> None:
    found = (await h.client.search_stock("KODEX"))["results"]
    codes = [entry["stock_code"] for entry in found]
    assert codes
    assert len(codes) == len(set(codes))
    assert {entry["market"] for entry in found} == {"ETF"}
    for item in ETFS[:12]:
        matches = [e for e in (await h.client.search_stock(item.name))["results"] if e["stock_code"] == item.code]
        assert [e["market"] for e in matches] == ["ETF"], item
    samsung = (await h.client.search_stock("삼성전자"))["results"][0]
    assert (samsung["stock_code"], samsung["market"]) == (NXT_STOCK, "KOSPI")


# --- 2./3. Unknown codes: ka10007 blank with return_code 0, ka10095 a blank row (stk_cd too) -------


@pytest.mark.parametrize("stk_cd", ["999999", f"{KRX_ONLY_STOCK}_NX"])
def test_ka10007_unknown_code_is_blank_not_an_error(session: tuple[TestClient, str], stk_cd: str) -> None:
    body = tr(session, "ka10007", {"stk_cd": stk_cd})
    assert (body.pop("return_code"), body.pop("return_msg")) == (0, "정상적으로 처리되었습니다")
    assert body == dict.fromkeys(KA10007_FIELDS, "")


def test_ka10007_blank_answer_has_the_known_answers_fields(session: tuple[TestClient, str]) -> None:
    known = tr(session, "ka10007", {"stk_cd": NXT_STOCK})
    assert set(known) - {"return_code", "return_msg"} == set(KA10007_FIELDS)
    assert known["stk_nm"] == "삼성전자"


def test_ka10095_unknown_code_row_is_blank_throughout(session: tuple[TestClient, str]) -> None:
    codes = f"{NXT_STOCK}|999999|{KRX_ONLY_STOCK}_NX|{KRX_ONLY_STOCK}"
    rows = tr(session, "ka10095", {"stk_cd": codes})["atn_stk_infr"]
    assert [row["stk_cd"] for row in rows] == [NXT_STOCK, "", "", KRX_ONLY_STOCK]
    for blank in rows[1:3]:
        assert set(blank.values()) == {""}


# --- 5. kt00004: the specification's field names -------------------------------------------------


def test_kt00004_uses_the_specified_principal_fields(session: tuple[TestClient, str]) -> None:
    body = tr(session, "kt00004", {"qry_tp": "0", "dmst_stex_tp": "KRX"})
    for field in ("tdy_lspft_amt", "invt_bsamt", "lspft_amt", "tdy_lspft", "lspft2", "lspft"):
        assert len(body[field]) == 12, field
        assert body[field].isdigit(), field
    assert "invt_bncr_amt" not in body
    assert "mnth_lspft_amt" not in body


# --- 6. Venues: bare code KRX, _NX Nextrade, _AL the sum -----------------------------------------


def test_nxt_flag_follows_the_documented_rule(session: tuple[TestClient, str]) -> None:
    rows = {
        row["code"]: row["nxtEnable"]
        for mrkt_tp in ("0", "10")
        for row in tr(session, "ka10099", {"mrkt_tp": mrkt_tp})["list"]
    }
    for item in LISTINGS:
        expected = item.market is not Market.ETF and item.size_class in ("대형주", "중형주")
        assert rows[item.code] == ("Y" if expected else "N"), item
        share = nxt_share(item)
        assert (NXT_SHARE_RANGE[0] <= share < NXT_SHARE_RANGE[1]) if expected else share == 0.0
    assert rows[NXT_STOCK] == "Y"
    assert rows[KRX_ONLY_STOCK] == rows[KRX_ONLY_ETF] == "N"


def _venues(session: tuple[TestClient, str], api_id: str, code: str) -> tuple[dict[str, Any], ...]:
    return tuple(tr(session, api_id, {"stk_cd": f"{code}{suffix}"}) for suffix in ("", "_NX", "_AL"))


@pytest.mark.parametrize(
    ("api_id", "fields"), [("ka10001", ["trde_qty"]), ("ka10007", ["trde_qty", "trde_prica", "pred_trde_qty"])]
)
def test_all_venues_volume_is_krx_plus_nxt(session: tuple[TestClient, str], api_id: str, fields: list[str]) -> None:
    krx, nxt, both = _venues(session, api_id, NXT_STOCK)
    for field in fields:
        assert 0 < int(nxt[field]) < int(krx[field]), field
        assert int(both[field]) == int(krx[field]) + int(nxt[field]), field
    for price in ("cur_prc", "open_pric", "high_pric", "low_pric", "upl_pric", "lst_pric"):
        assert krx[price] == nxt[price] == both[price], price  # one instrument price on every venue
    assert (krx["stk_cd"], nxt["stk_cd"], both["stk_cd"]) == (NXT_STOCK, f"{NXT_STOCK}_NX", f"{NXT_STOCK}_AL")


def test_ka10095_rows_follow_their_venue(session: tuple[TestClient, str]) -> None:
    codes = "|".join(f"{NXT_STOCK}{suffix}" for suffix in ("", "_NX", "_AL"))
    krx, nxt, both = tr(session, "ka10095", {"stk_cd": codes})["atn_stk_infr"]
    for field in ("trde_qty", "trde_prica"):
        assert 0 < int(nxt[field]) < int(krx[field])
        assert int(both[field]) == int(krx[field]) + int(nxt[field])
    assert krx["cur_prc"] == nxt["cur_prc"] == both["cur_prc"]


def test_ka10004_all_venues_book_adds_nxt_quantities_at_krx_prices(session: tuple[TestClient, str]) -> None:
    krx, nxt, both = _venues(session, "ka10004", NXT_STOCK)
    levels = [f"{side}_fpr" for side in ("sel", "buy")]
    levels += [f"{side}_{n}th_pre" for n in range(2, 11) for side in ("sel", "buy")]
    for level in levels:
        assert krx[f"{level}_bid"] == nxt[f"{level}_bid"] == both[f"{level}_bid"]
        krx_qty, nxt_qty = int(krx[f"{level}_req"]), int(nxt[f"{level}_req"])
        assert 0 < nxt_qty <= krx_qty
        assert int(both[f"{level}_req"]) == krx_qty + nxt_qty
    for total in ("tot_sel_req", "tot_buy_req"):
        assert int(both[total]) == int(krx[total]) + int(nxt[total])


@pytest.mark.parametrize("code", [KRX_ONLY_STOCK, KRX_ONLY_ETF])
def test_a_listing_without_nxt(session: tuple[TestClient, str], code: str) -> None:
    client, token = session
    for api_id in ("ka10001", "ka10004"):  # _NX names nothing: an unknown code
        body = call_tr(client, token, api_id, {"stk_cd": f"{code}_NX"}).json()
        assert "[1902:" in body["return_msg"], body
    chart = {"stk_cd": f"{code}_NX", "tic_scope": "1", "upd_stkpc_tp": "1"}
    assert "[1902:" in call_tr(client, token, "ka10080", chart).json()["return_msg"]
    krx, both = (tr(session, "ka10001", {"stk_cd": f"{code}{suffix}"}) for suffix in ("", "_AL"))
    assert {k: v for k, v in krx.items() if k != "stk_cd"} == {k: v for k, v in both.items() if k != "stk_cd"}


def test_nxt_takes_no_part_in_the_closing_auction() -> None:
    client, clock = make_client(unlimited(), FakeClock(at(15, 25)))
    token = issue_token(client)

    def volumes() -> tuple[int, int]:
        krx, nxt = (call_tr(client, token, "ka10001", {"stk_cd": f"{NXT_STOCK}{s}"}).json() for s in ("", "_NX"))
        return int(krx["trde_qty"]), int(nxt["trde_qty"])

    during = volumes()
    clock.advance(5 * 60)
    after = volumes()
    assert after[0] > during[0]  # the auction executed on KRX at 15:30
    assert after[1] == during[1]  # NXT's volume stood still


# --- 7. The closing call auction: nothing trades 15:20-15:30, one execution at 15:30 ---------------


def _minute_rows(client: TestClient, token: str, scope: str) -> list[dict[str, str]]:
    body = {"stk_cd": NXT_STOCK, "tic_scope": scope, "upd_stkpc_tp": "1"}
    rows: list[dict[str, str]] = call_tr(client, token, "ka10080", body).json()["stk_min_pole_chart_qry"]
    return [row for row in rows if row["cntr_tm"].startswith("20251125")]


@pytest.fixture(scope="module")
def evening() -> tuple[TestClient, str]:
    client, _ = make_client(unlimited(), FakeClock(at(16, 0)))
    return client, issue_token(client)


def test_no_minute_bars_inside_the_auction_and_one_at_its_execution(evening: tuple[TestClient, str]) -> None:
    client, token = evening
    rows = _minute_rows(client, token, "1")
    times = [row["cntr_tm"][8:12] for row in rows]
    assert not [t for t in times if "1521" <= t <= "1529"]
    assert times[:2] == ["1530", "1520"]  # newest first
    auction = rows[0]
    price = unsigned(auction["cur_prc"])
    assert {unsigned(auction[k]) for k in ("open_pric", "high_pric", "low_pric")} == {price}
    daily = call_tr(client, token, "ka10081", {"stk_cd": NXT_STOCK, "base_dt": "20251125", "upd_stkpc_tp": "1"})
    day = daily.json()["stk_dt_pole_chart_qry"][0]
    assert day["dt"] == "20251125"
    assert int(day["cur_prc"]) == price  # the daily close is the auction price
    assert int(auction["acc_trde_qty"]) == int(day["trde_qty"])
    assert int(auction["trde_qty"]) == int(day["trde_qty"]) - int(rows[1]["acc_trde_qty"]) > 0
    assert int(day["high_pric"]) == max(unsigned(row["high_pric"]) for row in rows)
    assert int(day["low_pric"]) == min(unsigned(row["low_pric"]) for row in rows)


@pytest.mark.parametrize(
    ("scope", "newest"),
    [
        ("3", ["1530", "1520", "1518"]),
        ("5", ["1530", "1520", "1515"]),
        ("15", ["1530", "1515"]),
        ("60", ["1530", "1500"]),
    ],
)
def test_coarser_bars_around_the_auction(evening: tuple[TestClient, str], scope: str, newest: list[str]) -> None:
    client, token = evening
    rows = _minute_rows(client, token, scope)
    assert [row["cntr_tm"][8:12] for row in rows[: len(newest)]] == newest
    assert not [row for row in rows if "152100" <= row["cntr_tm"][8:] <= "152959"]
    one_minute = _minute_rows(client, token, "1")
    assert sum(int(row["trde_qty"]) for row in rows) == sum(int(row["trde_qty"]) for row in one_minute)
    assert rows[0]["cur_prc"] == one_minute[0]["cur_prc"]


def test_price_holds_through_the_auction_then_jumps_to_the_close() -> None:
    client, clock = make_client(unlimited(), FakeClock(at(15, 20)))
    token = issue_token(client)

    def quote() -> dict[str, Any]:
        answer: dict[str, Any] = call_tr(client, token, "ka10001", {"stk_cd": NXT_STOCK}).json()
        return answer

    last_trade = quote()
    for moment in (at(15, 21), at(15, 25), at(15, 29, 59)):
        clock.now = moment.timestamp()
        held = quote()
        assert (held["cur_prc"], held["trde_qty"]) == (last_trade["cur_prc"], last_trade["trde_qty"])
    clock.now = at(15, 30).timestamp()
    closed = quote()
    bars = call_tr(client, token, "ka10080", {"stk_cd": NXT_STOCK, "tic_scope": "1", "upd_stkpc_tp": "1"}).json()
    auction, before = bars["stk_min_pole_chart_qry"][:2]
    assert (auction["cntr_tm"][8:], before["cntr_tm"][8:]) == ("153000", "152000")
    assert unsigned(before["cur_prc"]) == unsigned(last_trade["cur_prc"])
    assert unsigned(closed["cur_prc"]) == unsigned(auction["cur_prc"])
    assert int(closed["trde_qty"]) == int(last_trade["trde_qty"]) + int(auction["trde_qty"])


# --- 8. A TR sent to an unknown URL group: still a 404, now journalled ----------------------------


def test_unknown_group_is_a_journalled_404() -> None:
    client, _ = make_client(unlimited())
    token = issue_token(client)
    response = call_tr(client, token, "ka10001", {"stk_cd": NXT_STOCK}, group="nosuchgroup")
    assert response.status_code == 404
    assert "[1999:" in response.json()["return_msg"]
    rows = client.get("/__admin/requests", params={"api_id": "ka10001"}).json()["requests"]
    assert [(r["path"], r["status"], r["stock_code"]) for r in rows] == [("/api/dostk/nosuchgroup", 404, NXT_STOCK)]
    count = client.post("/__admin/requests/count", json={"status": 404}).json()["count"]
    assert count == 1
