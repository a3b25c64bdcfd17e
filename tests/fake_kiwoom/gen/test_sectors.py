"""Sector indexes and ETFs move with the market the stock TRs show.

An index is the cap-weighted level of its members' ka10001 prices; its charts end where
ka20001 stands and page through every bar once; its flows balance; ETF quotes are the
ETF listings' own. The fake clock stands mid-session (``SESSION_NOW``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from starlette.testclient import TestClient

from fake_kiwoom.gen import sectors_index
from fake_kiwoom.gen.sectors_index import INDEXES
from fake_kiwoom.listings import LISTINGS, Market
from fake_kiwoom.market import SyntheticMarket
from tests.support.catalog import all_rows
from tests.support.fake import SESSION_NOW, call_tr, issue_token, make_client, unlimited
from tr_catalog import CATALOG

Row = dict[str, Any]
SECURITIES = INDEXES["024"]  # 증권: five members, cheap to check member by member


@pytest.fixture(scope="module")
def fake() -> tuple[TestClient, str]:
    client, _ = make_client(unlimited())
    return client, issue_token(client)


def ask(fake: tuple[TestClient, str], api_id: str, body: dict[str, str]) -> dict[str, Any]:
    client, token = fake
    response = call_tr(client, token, api_id, body, group=CATALOG[api_id].group)
    answer: dict[str, Any] = response.json()
    assert answer["return_code"] == 0, answer["return_msg"]
    return answer


def level(text: str) -> float:
    """An index level as the sect TRs write it (``"-2536.54"``: the sign is the direction)."""
    return float(text.lstrip("+-"))


def stock_price(fake: tuple[TestClient, str], code: str) -> int:
    answer = ask(fake, "ka10001", {"stk_cd": code})
    return int(answer["cur_prc"].lstrip("+-"))


def test_an_index_is_the_cap_weighted_level_of_its_members_ka10001_prices(fake: tuple[TestClient, str]) -> None:
    answer = ask(fake, "ka20001", {"mrkt_tp": "0", "inds_cd": SECURITIES.code})
    expected = sum(m.shares * stock_price(fake, m.code) for m in SECURITIES.members) / SECURITIES.divisor
    assert level(answer["cur_prc"]) == pytest.approx(expected, abs=0.006)
    breadth = sum(int(answer[k]) for k in ("upl", "rising", "stdns", "fall", "lst"))
    assert breadth == len(SECURITIES.members)
    change = float(answer["pred_pre"])
    assert answer["cur_prc"].startswith("+" if change > 0 else "-" if change < 0 else tuple("0123456789"))


def test_ka20002_lists_the_members_at_their_ka10001_prices(fake: tuple[TestClient, str]) -> None:
    rows = all_rows(fake, "ka20002", {"mrkt_tp": "0", "inds_cd": SECURITIES.code, "stex_tp": "1"})
    assert [r["stk_cd"] for r in rows] == sorted(m.code for m in SECURITIES.members)
    assert all(r["cur_prc"] == stock_price(fake, r["stk_cd"]) for r in rows)
    assert {m.sector for m in SECURITIES.members} == {"증권"}


def test_the_newest_bars_end_where_ka20001_stands(fake: tuple[TestClient, str]) -> None:
    now = ask(fake, "ka20001", {"mrkt_tp": "0", "inds_cd": "001"})
    daily = all_rows(fake, "ka20006", {"inds_cd": "001", "base_dt": "20251126"})
    minutes = all_rows(fake, "ka20005", {"inds_cd": "001", "tic_scope": "1"})
    assert daily[0]["dt"] == SESSION_NOW.date().isoformat()
    assert daily[0]["cur_prc"] == pytest.approx(level(now["cur_prc"]) * 100, abs=1)
    assert minutes[0]["cur_prc"] == pytest.approx(daily[0]["cur_prc"], abs=1)
    today = [r for r in minutes if r["cntr_tm"].startswith(SESSION_NOW.date().isoformat())]
    assert max(r["high_pric"] for r in today) == daily[0]["high_pric"]
    assert min(r["low_pric"] for r in today) == daily[0]["low_pric"]
    assert today[0]["acc_trde_qty"] == daily[0]["trde_qty"] == int(now["trde_qty"])


def test_a_past_close_is_the_cap_weighted_close_of_the_members_ka10081_bars(fake: tuple[TestClient, str]) -> None:
    daily = all_rows(fake, "ka20006", {"inds_cd": SECURITIES.code, "base_dt": "20251126"})
    closes: dict[str, float] = defaultdict(float)
    for member in SECURITIES.members:
        body = {"stk_cd": member.code, "base_dt": "20251126", "upd_stkpc_tp": "1"}
        for bar in all_rows(fake, "ka10081", body)[:30]:
            closes[bar["dt"]] += member.shares * bar["cur_prc"]
    for bar in daily[1:30]:
        assert bar["cur_prc"] == round(closes[bar["dt"]] / SECURITIES.divisor * 100)
        assert bar["low_pric"] <= min(bar["open_pric"], bar["cur_prc"])
        assert bar["high_pric"] >= max(bar["open_pric"], bar["cur_prc"])


def test_chart_paging_covers_every_bar_once_newest_first(fake: tuple[TestClient, str]) -> None:
    body = {"inds_cd": "101", "base_dt": "20251126"}
    daily = all_rows(fake, "ka20006", body)
    days = [r["dt"] for r in daily]
    assert len(days) > unlimited().daily_page_size  # more than one page
    assert days == sorted(set(days), reverse=True)
    weekly = all_rows(fake, "ka20007", body)
    newest_week = [r for r in daily if r["dt"] >= weekly[0]["dt"]]
    assert weekly[0]["cur_prc"] == daily[0]["cur_prc"]
    assert weekly[0]["trde_qty"] == pytest.approx(sum(r["trde_qty"] for r in newest_week), abs=len(newest_week))
    assert weekly[0]["high_pric"] == max(r["high_pric"] for r in newest_week)


def test_ka20003_rows_agree_with_ka20001(fake: tuple[TestClient, str]) -> None:
    rows = ask(fake, "ka20003", {"inds_cd": "001"})["all_inds_idex"]
    listed = [r["code"] for r in ask(fake, "ka10101", {"mrkt_tp": "0"})["list"]]
    assert [r["stk_cd"] for r in rows] == listed
    for row in rows[:3]:
        single = ask(fake, "ka20001", {"mrkt_tp": "0", "inds_cd": row["stk_cd"]})
        assert row["cur_prc"] == single["cur_prc"]
        assert row["flu_rt"] == single["flu_rt"]
        assert sum(int(row[k]) for k in ("upl", "rising", "stdns", "fall", "lst")) == int(row["flo_stk_num"])


@pytest.mark.parametrize("amt_qty_tp", ["0", "1"])
def test_sector_investor_flows_balance(fake: tuple[TestClient, str], amt_qty_tp: str) -> None:
    body = {"mrkt_tp": "0", "amt_qty_tp": amt_qty_tp, "base_dt": "20251125", "stex_tp": "1"}
    rows = all_rows(fake, "ka10051", body)
    parts = ("sc", "insrnc", "invtrt", "bank", "jnsinkm", "endw", "samo_fund")
    for row in rows:
        assert row["orgn_netprps"] == sum(row[f"{p}_netprps"] for p in parts)
        others = ("frgnr", "orgn", "etc_corp", "natn", "native_trmt_frgnr")
        assert row["ind_netprps"] + sum(row[f"{p}_netprps"] for p in others) == 0
    assert all_rows(fake, "ka10051", body) == rows  # deterministic


def test_etf_quotes_are_the_etf_listings_own(fake: tuple[TestClient, str]) -> None:
    body = {"txon_type": "0", "navpre": "0", "mngmcomp": "0000", "txon_yn": "0", "trace_idex": "0", "stex_tp": "1"}
    rows = all_rows(fake, "ka40004", body)
    assert sorted(r["stk_cd"] for r in rows) == sorted(x.code for x in LISTINGS if x.market is Market.ETF)
    for row in rows[:3]:
        assert row["close_pric"] == stock_price(fake, row["stk_cd"])
        assert abs(row["close_pric"] / row["nav"] - 1) < 0.005
    tiger = all_rows(fake, "ka40004", body | {"mngmcomp": "3191"})
    assert tiger
    assert all(r["stk_nm"].startswith("TIGER") for r in tiger)
    assert not all_rows(fake, "ka40004", body | {"stex_tp": "2"})  # no ETF trades on Nextrade
    nav_rows = all_rows(fake, "ka40009", {"stk_cd": rows[0]["stk_cd"]})
    assert nav_rows[0]["nav"] == rows[0]["nav"]


def test_member_volumes_of_past_days_are_the_markets_own() -> None:
    market = SyntheticMarket(seed=3)
    now = SESSION_NOW.timestamp()
    i, _ = sectors_index.view(market, now)
    for member in SECURITIES.members:
        for back, bar in enumerate(market.daily_bars(member.code, now, count=4)[1:], start=1):
            assert sectors_index.member_volume(market, member, i - back) == bar.volume
