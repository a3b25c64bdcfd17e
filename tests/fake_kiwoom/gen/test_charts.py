"""The chart siblings agree with the market the hand-written TRs show.

Week/month/year bars are ka10081's daily bars regrouped; ticks regroup into ka10080's minute
bars and end at ka10001's price and volume; the daily-price TRs carry ka10081's prices and
the flows family's investor flows. The fake clock stands mid-session (``SESSION_NOW``).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from fake_kiwoom import FakeKiwoomConfig
from fake_kiwoom.listings import find_listing
from tests.support.catalog import Session, all_rows, ask, open_session
from tests.support.fake import SESSION_NOW, FakeClock, bracket_code, issue_token, make_client, unlimited
from tr_catalog import decode

CODE = "005930"
BASE = {"stk_cd": CODE, "base_dt": "20251126", "upd_stkpc_tp": "1"}
Row = dict[str, Any]


@pytest.fixture(scope="module")
def fake() -> Session:
    return open_session()


def day(text: str) -> date:
    return date.fromisoformat(text)


def test_week_bars_regroup_the_daily_bars(fake: tuple[TestClient, str]) -> None:
    daily = all_rows(fake, "ka10081", BASE)
    weeks = all_rows(fake, "ka10082", BASE)
    by_week: dict[tuple[int, int], list[Row]] = defaultdict(list)
    for row in daily:
        by_week[day(row["dt"]).isocalendar()[:2]].append(row)
    complete = list(by_week.values())[:-1]  # ka10081's oldest week may be cut by its 750-day reach
    assert len(complete) > 100
    for week, days in zip(weeks, complete, strict=False):
        assert week["dt"] == days[-1]["dt"]
        assert week["open_pric"] == days[-1]["open_pric"]
        assert week["cur_prc"] == days[0]["cur_prc"]
        assert week["high_pric"] == max(d["high_pric"] for d in days)
        assert week["low_pric"] == min(d["low_pric"] for d in days)
        assert week["trde_qty"] == sum(d["trde_qty"] for d in days)
    for newer, older in itertools.pairwise(weeks):
        assert newer["cur_prc"] - newer["pred_pre"] == older["cur_prc"]
        assert day(newer["dt"]) > day(older["dt"])


def test_the_running_month_and_year_end_at_the_current_price(fake: tuple[TestClient, str]) -> None:
    price = decode(ask(fake, "ka10001", {"stk_cd": CODE})["cur_prc"], "price")
    daily = all_rows(fake, "ka10081", BASE)
    month = all_rows(fake, "ka10083", BASE)[0]
    year = all_rows(fake, "ka10094", BASE)[0]
    november = [d for d in daily if d["dt"].startswith("2025-11")]
    this_year = [d for d in daily if d["dt"].startswith("2025")]
    assert month["cur_prc"] == year["cur_prc"] == price
    assert month["dt"] == november[-1]["dt"]
    assert year["dt"] == this_year[-1]["dt"] == "2025-01-02"
    assert month["trde_qty"] == sum(d["trde_qty"] for d in november)
    assert year["high_pric"] == max(d["high_pric"] for d in this_year)
    assert year["low_pric"] == min(d["low_pric"] for d in this_year)


def test_small_pages_cover_every_week_once(fake: tuple[TestClient, str]) -> None:
    client, _ = make_client(FakeKiwoomConfig(rate_limit_per_s=0, daily_page_size=50))
    weeks = all_rows((client, issue_token(client)), "ka10082", BASE)
    assert len(weeks) > 50 * 3
    assert weeks == all_rows(fake, "ka10082", BASE)
    assert [w["dt"] for w in weeks] == sorted({w["dt"] for w in weeks}, reverse=True)


def test_ticks_regroup_into_the_minute_bars_and_end_at_the_quote(fake: tuple[TestClient, str]) -> None:
    ticks = all_rows(fake, "ka10079", {"stk_cd": CODE, "tic_scope": "1", "upd_stkpc_tp": "1"})
    minutes = all_rows(fake, "ka10080", {"stk_cd": CODE, "tic_scope": "1", "upd_stkpc_tp": "1"})
    quote = ask(fake, "ka10001", {"stk_cd": CODE})
    today = [m for m in minutes if m["cntr_tm"].startswith("2025-11-26")]
    assert ticks[0]["cur_prc"] == decode(quote["cur_prc"], "price")
    assert sum(t["trde_qty"] for t in ticks) == int(quote["trde_qty"])
    assert ticks[0]["cntr_tm"] <= SESSION_NOW.replace(tzinfo=None).isoformat()
    by_minute: dict[str, list[Row]] = defaultdict(list)
    for tick in reversed(ticks):  # oldest first
        by_minute[tick["cntr_tm"][:16]].append(tick)
    assert len(by_minute) == len(today)
    for bar in today:
        group = by_minute[(datetime.fromisoformat(bar["cntr_tm"]) - timedelta(minutes=1)).isoformat()[:16]]
        assert group[0]["cur_prc"] == bar["open_pric"]
        assert group[-1]["cur_prc"] == bar["cur_prc"]
        assert max(t["cur_prc"] for t in group) == bar["high_pric"]
        assert min(t["cur_prc"] for t in group) == bar["low_pric"]
        assert sum(t["trde_qty"] for t in group) == bar["trde_qty"]
    stamps = [t["cntr_tm"] for t in ticks]
    assert stamps == sorted(stamps, reverse=True)


def test_ten_tick_bars_hold_every_tick_and_say_how_full_the_newest_is(fake: tuple[TestClient, str]) -> None:
    single = all_rows(fake, "ka10079", {"stk_cd": CODE, "tic_scope": "1", "upd_stkpc_tp": "1"})
    body = {"stk_cd": CODE, "tic_scope": "10", "upd_stkpc_tp": "1"}
    bars = all_rows(fake, "ka10079", body)
    last = int(ask(fake, "ka10079", body)["last_tic_cnt"])
    assert 1 <= last <= 10
    assert len(single) == 10 * (len(bars) - 1) + last
    assert sum(b["trde_qty"] for b in bars) == sum(t["trde_qty"] for t in single)
    assert bars[0]["cur_prc"] == single[0]["cur_prc"]
    assert bars[0]["open_pric"] == single[last - 1]["cur_prc"]


def test_before_the_open_the_ticks_are_the_last_session_ending_in_the_auction() -> None:
    client, _ = make_client(unlimited(), FakeClock(SESSION_NOW.replace(hour=8, minute=0)))
    early = (client, issue_token(client))
    body = {"stk_cd": CODE, "tic_scope": "1", "upd_stkpc_tp": "1"}
    newest = ask(early, "ka10079", body)["stk_tic_chart_qry"][0]
    close = all_rows(early, "ka10081", BASE)[0]
    assert newest["cntr_tm"] == "20251125153000"
    assert decode(newest["cur_prc"], "price") == close["cur_prc"]
    assert close["dt"] == "2025-11-25"


def test_daily_prices_carry_the_daily_bars_and_balanced_flows(fake: tuple[TestClient, str]) -> None:
    body = {"stk_cd": CODE, "qry_dt": "20251126", "indc_tp": "0"}
    flows = all_rows(fake, "ka10086", body)
    daily = all_rows(fake, "ka10081", BASE)
    assert [f["date"] for f in flows] == [d["dt"] for d in daily]
    for f, d in zip(flows, daily, strict=True):
        assert (f["close_pric"], f["trde_qty"], f["pred_rt"]) == (d["cur_prc"], d["trde_qty"], d["pred_pre"])
        # They balance with ka10059's other corporations and resident foreigners (test_consistency).
        assert (f["ind"], f["orgn"], f["for_qty"]) == (f["ind_netprps"], f["orgn_netprps"], f["for_netprps"])
    listing = find_listing(CODE)
    assert listing is not None
    shares = listing.shares
    for newer, older in itertools.pairwise(flows):  # the foreign weight moves with the foreign buying
        moved = newer["for_netprps"] / shares * 100
        assert newer["for_wght"] - older["for_wght"] == pytest.approx(moved, abs=0.011)


def test_amounts_change_every_flow_but_the_foreign_one(fake: tuple[TestClient, str]) -> None:
    body = {"stk_cd": CODE, "qry_dt": "20251120", "indc_tp": "0"}
    shares = ask(fake, "ka10086", body)["daly_stkpc"]
    amounts = ask(fake, "ka10086", body | {"indc_tp": "1"})["daly_stkpc"]
    assert shares[0]["date"] == amounts[0]["date"] == "20251120"
    for s, a in zip(shares, amounts, strict=True):
        assert s["for_netprps"] == a["for_netprps"]
        assert s["close_pric"] == a["close_pric"]
        if abs(int(s["ind_netprps"])) > 10_000:
            assert s["ind_netprps"] != a["ind_netprps"]


def test_the_daily_quote_screen_matches_the_daily_prices(fake: tuple[TestClient, str]) -> None:
    screen = ask(fake, "ka10005", {"stk_cd": CODE})["stk_ddwkmm"]
    prices = ask(fake, "ka10086", {"stk_cd": CODE, "qry_dt": "20251126", "indc_tp": "0"})["daly_stkpc"]
    for s, p in zip(screen, prices, strict=True):
        assert (s["date"], s["close_pric"], s["pre"], s["trde_prica"]) == (
            p["date"], p["close_pric"], p["pred_rt"], p["amt_mn"],
        )  # fmt: skip
        assert (s["for_netprps"], s["orgn_netprps"], s["ind_netprps"]) == (
            p["for_netprps"], p["orgn_netprps"], p["ind_netprps"],
        )  # fmt: skip


@pytest.mark.parametrize(
    ("api_id", "body", "code"),
    [
        ("ka10082", BASE | {"base_dt": "20251340"}, 1517),
        ("ka10086", {"stk_cd": CODE, "qry_dt": "20250230", "indc_tp": "0"}, 1517),
        ("ka10079", {"stk_cd": CODE, "tic_scope": "2", "upd_stkpc_tp": "1"}, 1517),
        ("ka10083", BASE | {"stk_cd": "999999"}, 1902),
        ("ka10005", {"stk_cd": "999999"}, 1902),
    ],
)
def test_bad_requests_get_the_live_codes(
    fake: tuple[TestClient, str], api_id: str, body: dict[str, str], code: int
) -> None:
    answer = ask(fake, api_id, body)
    assert answer["return_code"] != 0
    assert bracket_code(answer) == code
