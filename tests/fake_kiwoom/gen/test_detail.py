"""The detail family agrees with the market the hand-written TRs show.

Executions and strength end at ka10001's price and volume on every venue and tell one story
across ka10046, ka10003 and ka10047; daily rows are ka10081's trading days; brokers split
the day's volume; credit, short and lending balances move by what was opened and repaid;
the market's lending is the sum of every stock's; price jumps rank real moves. The fake
clock stands mid-session (``SESSION_NOW``) unless a test moves it.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from fake_kiwoom import FakeKiwoomConfig
from fake_kiwoom.gen.detail_watch import groups, ka01300, ka01301
from fake_kiwoom.listings import LISTINGS, find_listing
from fake_kiwoom.market import SyntheticMarket
from fake_kiwoom.prices import step_up
from fake_kiwoom.tr_types import TrRequest
from tests.support.catalog import all_rows
from tests.support.fake import SESSION_NOW, FakeClock, bracket_code, call_tr, issue_token, make_client, unlimited
from tr_catalog import CATALOG, decode

CODE = "005930"
Row = dict[str, Any]
Fake = tuple[TestClient, str]


@pytest.fixture(scope="module")
def fake() -> Fake:
    client, _ = make_client(unlimited())
    return client, issue_token(client)


def ask(fake: Fake, api_id: str, body: dict[str, str]) -> dict[str, Any]:
    """The top-level fields of an answer, decoded as the catalog says (code 0 asserted)."""
    client, token = fake
    tr = CATALOG[api_id]
    answer: dict[str, Any] = call_tr(client, token, api_id, body, group=tr.group).json()
    assert answer["return_code"] == 0, answer
    return {f.name: decode(answer[f.name], f.encoding) for f in tr.top} | {"_raw": answer}


@pytest.mark.parametrize("stk_cd", [CODE, f"{CODE}_NX", f"{CODE}_AL"])
def test_the_newest_minute_is_the_quote_on_every_venue(fake: Fake, stk_cd: str) -> None:
    quote = ask(fake, "ka10001", {"stk_cd": stk_cd})
    screen = ask(fake, "ka10007", {"stk_cd": stk_cd})
    minutes = all_rows(fake, "ka10046", {"stk_cd": stk_cd})
    newest = minutes[0]
    assert newest["cntr_tm"] == SESSION_NOW.strftime("%H:%M:%S")
    assert newest["cur_prc"] == quote["cur_prc"]
    assert newest["acc_trde_qty"] == quote["trde_qty"]
    assert newest["acc_trde_prica"] == screen["trde_prica"]
    assert sum(abs(m["trde_qty"]) for m in minutes) == quote["trde_qty"]
    assert newest["stex_tp"] == {"": "KRX", "_NX": "NXT", "_AL": "통합"}[stk_cd[6:]]


def test_the_minutes_page_through_the_day_once_each(fake: Fake) -> None:
    minutes = all_rows(fake, "ka10046", {"stk_cd": CODE})
    open_to_now = (SESSION_NOW - SESSION_NOW.replace(hour=9, minute=0, second=0)) // timedelta(minutes=1) + 1
    assert len(minutes) == open_to_now > 60  # more than one page
    times = [m["cntr_tm"] for m in minutes]
    assert times == sorted(set(times), reverse=True)
    for newer, older in itertools.pairwise(minutes):
        assert newer["acc_trde_qty"] - abs(newer["trde_qty"]) == older["acc_trde_qty"]


def test_executions_and_strength_tell_one_story(fake: Fake) -> None:
    minutes = all_rows(fake, "ka10046", {"stk_cd": CODE})
    trades = all_rows(fake, "ka10003", {"stk_cd": CODE})
    days = all_rows(fake, "ka10047", {"stk_cd": CODE})
    assert [t["tm"] for t in trades] == [m["cntr_tm"] for m in minutes]
    for trade, minute in zip(trades, minutes, strict=True):
        assert trade["cntr_str"] == minute["cntr_str"]
        assert trade["cntr_trde_qty"] == minute["trde_qty"]
        assert trade["acc_trde_prica"] // 1_000_000 == minute["acc_trde_prica"]
        assert trade["pri_buy_bid_unit"] == trade["cur_prc"]
        assert trade["pri_sel_bid_unit"] == step_up(trade["cur_prc"])
    assert days[0]["cntr_str"] == minutes[0]["cntr_str"]  # today's strength so far
    assert 30 < minutes[0]["cntr_str"] < 300
    assert days[0]["cntr_str_5min"] == pytest.approx(sum(d["cntr_str"] for d in days[:5]) / 5, abs=0.01)
    assert days[0]["cntr_str_20min"] == pytest.approx(sum(d["cntr_str"] for d in days[:20]) / 20, abs=0.01)


def test_daily_strength_rows_are_the_daily_bars(fake: Fake) -> None:
    days = all_rows(fake, "ka10047", {"stk_cd": CODE})
    bars = all_rows(fake, "ka10081", {"stk_cd": CODE, "base_dt": SESSION_NOW.strftime("%Y%m%d"), "upd_stkpc_tp": "1"})
    assert len(days) == 120
    for row, bar in zip(days, bars, strict=False):
        assert (row["dt"], row["cur_prc"], row["acc_trde_qty"]) == (bar["dt"], bar["cur_prc"], bar["trde_qty"])
        assert row["acc_trde_prica"] == bar["trde_prica"]
        assert row["pred_pre"] == bar["pred_pre"]
        assert row["trde_qty"] is None  # blank, as live


def test_brokers_split_the_days_volume(fake: Fake) -> None:
    volume = ask(fake, "ka10001", {"stk_cd": CODE})["trde_qty"]
    brokers = ask(fake, "ka10002", {"stk_cd": CODE})
    majors = ask(fake, "ka10040", {"stk_cd": CODE})
    for side in ("sel", "buy"):
        qty = [brokers[f"{side}_trde_qty_{n}"] for n in range(1, 6)]
        assert qty == sorted(qty, reverse=True)
        assert 0 < sum(qty) <= volume
        codes = [brokers[f"{side}_trde_ori_{n}"] for n in range(1, 6)]
        assert len(set(codes)) == 5
        assert codes == [majors[f"{side}_trde_ori_cd_{n}"] for n in range(1, 6)]
        sign = -1 if side == "sel" else 1
        assert [sign * majors[f"{side}_trde_ori_qty_{n}"] for n in range(1, 6)] == qty
        assert all(majors[f"{side}_trde_ori_irds_{n}"] >= 0 for n in range(1, 6))
    assert majors["frgn_sel_prsm_sum"] <= 0 <= majors["frgn_buy_prsm_sum"]
    assert majors["_raw"]["tdy_main_trde_ori"] == []


def test_a_broker_quantity_changes_by_what_traded_in_the_last_minute() -> None:
    client, clock = make_client(unlimited())
    fake = (client, issue_token(client))
    first = ask(fake, "ka10040", {"stk_cd": CODE})
    clock.advance(60)
    second = ask(fake, "ka10040", {"stk_cd": CODE})
    assert second["buy_trde_ori_cd_1"] == first["buy_trde_ori_cd_1"]  # the ranking holds for the day
    assert second["buy_trde_ori_qty_1"] - first["buy_trde_ori_qty_1"] == second["buy_trde_ori_irds_1"]


@pytest.mark.parametrize("qry_tp", ["1", "2"])
def test_credit_balances_move_by_what_was_opened_and_repaid(fake: Fake, qry_tp: str) -> None:
    rows = all_rows(fake, "ka10013", {"stk_cd": CODE, "dt": "20251126", "qry_tp": qry_tp})
    bars = all_rows(fake, "ka10081", {"stk_cd": CODE, "base_dt": "20251126", "upd_stkpc_tp": "1"})
    assert len(rows) == 120
    for row, older, bar in zip(rows, rows[1:], bars, strict=False):
        assert (row["dt"], row["cur_prc"], row["trde_qty"]) == (bar["dt"], bar["cur_prc"], bar["trde_qty"])
        assert row["remn"] - older["remn"] == row["pre"] == row["new"] - row["rpya"]
        assert row["new"] <= row["trde_qty"]
    assert 0 < rows[0]["remn_rt"] < 5


def test_short_sales_accumulate_over_the_period(fake: Fake) -> None:
    body = {"stk_cd": CODE, "tm_tp": "1", "strt_dt": "20251001", "end_dt": "20251031"}
    rows = all_rows(fake, "ka10014", body)
    bars = {b["dt"]: b for b in all_rows(fake, "ka10081", {"stk_cd": CODE, "base_dt": "20251031", "upd_stkpc_tp": "1"})}
    assert rows
    assert all("2025-10-01" <= r["dt"] <= "2025-10-31" for r in rows)
    assert [r["dt"] for r in rows] == sorted((d for d in bars if "2025-10-01" <= d <= "2025-10-31"), reverse=True)
    assert rows[-1]["ovr_shrts_qty"] == rows[-1]["shrts_qty"]
    for newer, older in itertools.pairwise(rows):
        assert newer["ovr_shrts_qty"] == older["ovr_shrts_qty"] + newer["shrts_qty"]
    for row in rows:
        bar = bars[row["dt"]]
        assert (row["close_pric"], row["trde_qty"]) == (bar["cur_prc"], bar["trde_qty"])
        assert row["trde_wght"] == pytest.approx(row["shrts_qty"] / row["trde_qty"] * 100, abs=0.01)
        assert bar["low_pric"] <= row["shrts_avg_pric"] <= bar["high_pric"]


def test_the_markets_lending_is_every_stocks_lending_summed(fake: Fake) -> None:
    period = {"strt_dt": "20251117", "end_dt": "20251119"}
    market = all_rows(fake, "ka10068", {**period, "all_tp": "1"})
    assert [r["dt"] for r in market] == ["2025-11-19", "2025-11-18", "2025-11-17"]
    totals = {r["dt"]: dict.fromkeys(("rmnd", "dbrt_trde_irds", "remn_amt"), 0) for r in market}
    for listing in LISTINGS:
        for row in all_rows(fake, "ka20068", {**period, "stk_cd": listing.code, "all_tp": "0"}):
            assert row["dbrt_trde_irds"] == row["dbrt_trde_cntrcnt"] - row["dbrt_trde_rpy"]
            for name in totals[row["dt"]]:
                totals[row["dt"]][name] += row[name]
    for row in market:
        assert {name: row[name] for name in totals[row["dt"]]} == totals[row["dt"]]
    assert market[0]["rmnd"] - market[1]["rmnd"] == market[0]["dbrt_trde_irds"]


def test_lending_ends_at_the_last_finished_session(fake: Fake) -> None:
    rows = all_rows(fake, "ka20068", {"stk_cd": CODE})
    assert rows[0]["dt"] == "2025-11-25"  # today's session is still running
    assert len(rows) == 20


def test_price_jumps_rank_real_moves_against_the_quote(fake: Fake) -> None:
    body = {
        "mrkt_tp": "001", "flu_tp": "1", "tm_tp": "2", "tm": "1", "trde_qty_tp": "0000", "stk_cnd": "0",
        "crd_cnd": "0", "pric_cnd": "0", "updown_incls": "1", "stex_tp": "1",
    }  # fmt: skip
    surges = all_rows(fake, "ka10019", body)
    drops = all_rows(fake, "ka10019", {**body, "flu_tp": "2"})
    assert surges
    assert drops
    assert [r["jmp_rt"] for r in surges] == sorted((r["jmp_rt"] for r in surges), reverse=True)
    assert all(r["jmp_rt"] > 0 for r in surges)
    assert all(r["jmp_rt"] < 0 for r in drops)
    for row in (surges[0], drops[0]):
        quote = ask(fake, "ka10001", {"stk_cd": row["stk_cd"]})
        assert row["cur_prc"] == quote["cur_prc"]
        assert (row["trde_qty"], row["flu_rt"]) == (quote["trde_qty"], quote["flu_rt"])
        assert row["base_pric"] == quote["base_pric"]  # one day back: the previous close
        assert find_listing(row["stk_cd"]) is not None
    kospi = {x.code for x in LISTINGS if x.market.value == "KOSPI"}
    assert {r["stk_cd"] for r in surges + drops} <= kospi


def test_minute_jumps_compare_with_the_minute_bars(fake: Fake) -> None:
    body = {
        "mrkt_tp": "000", "flu_tp": "1", "tm_tp": "1", "tm": "30", "trde_qty_tp": "00010", "stk_cnd": "0",
        "crd_cnd": "0", "pric_cnd": "0", "updown_incls": "1", "stex_tp": "1",
    }  # fmt: skip
    top = all_rows(fake, "ka10019", body)[0]
    bars = all_rows(fake, "ka10080", {"stk_cd": top["stk_cd"], "tic_scope": "1", "upd_stkpc_tp": "1"})
    assert top["base_pric"] == bars[30]["cur_prc"]
    assert top["trde_qty"] >= 10_000


@pytest.mark.parametrize(
    ("api_id", "body"),
    [
        ("ka10046", {"stk_cd": "999999"}),
        ("ka10013", {"stk_cd": CODE, "dt": "20251340", "qry_tp": "1"}),
        ("ka10014", {"stk_cd": CODE, "strt_dt": "20250501", "end_dt": "2025051"}),
        ("ka10068", {"all_tp": "0"}),
        ("ka10019", {"mrkt_tp": "002", "flu_tp": "1", "tm_tp": "1", "tm": "5", "trde_qty_tp": "0000",
                     "stk_cnd": "0", "crd_cnd": "0", "pric_cnd": "0", "updown_incls": "1", "stex_tp": "1"}),
    ],
)  # fmt: skip
def test_bad_requests_get_the_live_codes(fake: Fake, api_id: str, body: dict[str, str]) -> None:
    client, token = fake
    answer = call_tr(client, token, api_id, body, group=CATALOG[api_id].group).json()
    assert bracket_code(answer) == (1902 if api_id == "ka10046" else 1517)


def _request(api_id: str, body: dict[str, str], appkey: str) -> TrRequest:
    market = SyntheticMarket(3)
    return TrRequest(
        api_id, "/api/dostk/watchlist", body, SESSION_NOW.timestamp(), appkey, "", market, FakeKiwoomConfig(seed=3)
    )


def test_each_app_key_keeps_its_own_watchlist_groups() -> None:
    first = ka01300(_request("ka01300", {}, "key-a"))
    assert first.top == {"rtcd": "S"}
    assert first.rows[0] == {"gcod": "000", "name": "관심"}
    assert first.rows == ka01300(_request("ka01300", {}, "key-a")).rows
    assert [g.code for g in groups(3, "key-a")] == [r["gcod"] for r in first.rows]
    members = ka01301(_request("ka01301", {"arn_grp_id": "000"}, "key-a")).rows
    assert members
    assert all(find_listing(m["cod2"]) is not None for m in members)
    assert {m["bgb"] for m in members} <= {"0", "1"}
    assert ka01301(_request("ka01301", {"arn_grp_id": "999"}, "key-a")).rows == []


def test_before_the_open_the_minutes_are_the_last_session() -> None:
    clock = FakeClock(SESSION_NOW.replace(hour=8, minute=10, second=0))
    client, _ = make_client(FakeKiwoomConfig(rate_limit_per_s=0), clock)
    fake = (client, issue_token(client))
    minutes = all_rows(fake, "ka10046", {"stk_cd": CODE})
    quote = ask(fake, "ka10001", {"stk_cd": CODE})
    assert minutes[0]["cntr_tm"] == "15:30:00"  # yesterday's closing auction
    assert minutes[0]["cur_prc"] == quote["base_pric"]
    assert date.fromisoformat(all_rows(fake, "ka10047", {"stk_cd": CODE})[0]["dt"]) < SESSION_NOW.date()
