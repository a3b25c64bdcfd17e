"""The rankings rank what the single-stock TRs report at the same instant, and page through every stock once.

The clock stands mid-session on a Wednesday (``SESSION_NOW``) unless a test moves it. The
rankings are compared with ka10001/ka10095 (quotes), ka10004 (order book), ka10008
(foreign holdings) and ka10040 (foreign brokers) asked at the same instant.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from starlette.testclient import TestClient

from fake_kiwoom.listings import LISTINGS, Market
from tests.support.fake import SESSION_NOW, FakeClock, call_tr, issue_token, make_client, unlimited
from tr_catalog import CATALOG, decode

Row = dict[str, Any]
KOSPI_AND_KOSDAQ = [x for x in LISTINGS if x.market in (Market.KOSPI, Market.KOSDAQ)]


class Fake:
    def __init__(self, client: TestClient, clock: FakeClock) -> None:
        self.client, self.clock = client, clock
        self.token = issue_token(client)

    def raw(self, api_id: str, body: dict[str, str], *, next_key: str | None = None) -> Any:
        tr = CATALOG[api_id]
        cont = "Y" if next_key else None
        return call_tr(self.client, self.token, api_id, body, group=tr.group, cont_yn=cont, next_key=next_key)

    def top(self, api_id: str, body: dict[str, str]) -> Row:
        answer = self.raw(api_id, body).json()
        assert answer["return_code"] == 0, answer
        return {f.name: decode(answer[f.name], f.encoding) for f in CATALOG[api_id].top}

    def pages(self, api_id: str, body: dict[str, str] | None = None, /, **changes: str) -> list[list[Row]]:
        tr = CATALOG[api_id]
        asked = {**tr.example, **(body or {}), **changes}
        pages: list[list[Row]] = []
        key: str | None = None
        for _ in range(50):
            response = self.raw(api_id, asked, next_key=key)
            answer = response.json()
            assert answer["return_code"] == 0, answer
            pages.append([{f.name: decode(r[f.name], f.encoding) for f in tr.rows} for r in answer[tr.list_key]])
            if response.headers["cont-yn"] != "Y":
                return pages
            key = response.headers["next-key"]
        raise AssertionError("paging did not end")

    def rows(self, api_id: str, **changes: str) -> list[Row]:
        return list(itertools.chain.from_iterable(self.pages(api_id, **changes)))

    def first_page(self, api_id: str, **changes: str) -> list[Row]:
        tr = CATALOG[api_id]
        answer = self.raw(api_id, {**tr.example, **changes}).json()
        assert answer["return_code"] == 0, answer
        return [{f.name: decode(r[f.name], f.encoding) for f in tr.rows} for r in answer[tr.list_key]]

    def watch(self, codes: list[str]) -> dict[str, Row]:
        """ka10095's rows (ka10001's price block) for many codes, by code."""
        found: dict[str, Row] = {}
        tr = CATALOG["ka10095"]
        for start in range(0, len(codes), 100):
            answer = self.raw("ka10095", {"stk_cd": "|".join(codes[start : start + 100])}).json()
            for raw in answer[tr.list_key]:
                found[raw["stk_cd"]] = {f.name: decode(raw[f.name], f.encoding) for f in tr.rows}
        return found


@pytest.fixture(scope="module")
def fake() -> Fake:
    client, clock = make_client(unlimited(), FakeClock())
    return Fake(client, clock)


def test_the_top_riser_has_the_highest_change_rate_ka10001_reports(fake: Fake) -> None:
    rows = fake.first_page("ka10027")
    quotes = fake.watch([x.code for x in LISTINGS])
    best = max(q["flu_rt"] for q in quotes.values())
    assert rows[0]["flu_rt"] == best > 0
    rates = [r["flu_rt"] for r in rows]
    assert rates == sorted(rates, reverse=True)
    for row in rows[:5]:
        basic = fake.top("ka10001", {"stk_cd": row["stk_cd"]})
        for name in ("cur_prc", "pred_pre", "flu_rt"):
            assert row[name] == basic[name]
        assert row["now_trde_qty"] == basic["trde_qty"]
        book = fake.top("ka10004", {"stk_cd": row["stk_cd"]})
        assert (row["sel_req"], row["buy_req"]) == (book["tot_sel_req"], book["tot_buy_req"])


def test_fallers_rank_lowest_first_and_only_fallers(fake: Fake) -> None:
    rows = fake.rows("ka10027", sort_tp="3")
    assert rows
    assert all(r["flu_rt"] < 0 for r in rows)
    rates = [r["flu_rt"] for r in rows]
    assert rates == sorted(rates)
    quotes = fake.watch([x.code for x in LISTINGS])
    assert len(rows) == sum(1 for q in quotes.values() if q["flu_rt"] < 0)


def test_paging_covers_every_stock_of_the_market_once_in_volume_order(fake: Fake) -> None:
    pages = fake.pages("ka10030")
    assert len(pages) > 1
    assert all(len(p) == 50 for p in pages[:-1])
    rows = list(itertools.chain.from_iterable(pages))
    codes = [r["stk_cd"] for r in rows]
    assert sorted(codes) == sorted(x.code for x in LISTINGS)  # ETFs included: ka10030 can exclude them
    volumes = [r["trde_qty"] for r in rows]
    assert volumes == sorted(volumes, reverse=True)


def test_later_pages_rank_the_first_pages_instant() -> None:
    client, clock = make_client(unlimited(), FakeClock())
    fake = Fake(client, clock)
    body = dict(CATALOG["ka10032"].example, mrkt_tp="000")
    first = fake.raw("ka10032", body)
    assert first.headers["cont-yn"] == "Y"
    clock.advance(600)  # prices and volumes move on; the continued query does not
    continued = fake.raw("ka10032", body, next_key=first.headers["next-key"]).json()["trde_prica_upper"]
    moved = fake.rows("ka10032", mrkt_tp="000")
    clock.now = SESSION_NOW.timestamp()
    then = fake.rows("ka10032", mrkt_tp="000")
    assert [r["stk_cd"] for r in continued] == [r["stk_cd"] for r in then[50:100]]
    assert [decode(r["trde_prica"], "int") for r in continued] == [r["trde_prica"] for r in then[50:100]]
    assert [r["trde_prica"] for r in moved] != [r["trde_prica"] for r in then]
    assert [r["now_rank"] for r in then] == list(range(1, len(then) + 1))


def test_markets_and_etfs(fake: Fake) -> None:
    kosdaq = {x.code for x in LISTINGS if x.market is Market.KOSDAQ}
    assert {r["stk_cd"] for r in fake.rows("ka10030", mrkt_tp="101")} == kosdaq
    without_etfs = {r["stk_cd"] for r in fake.rows("ka10030", mrkt_tp="001", mang_stk_incls="14")}
    assert without_etfs == {x.code for x in LISTINGS if x.market is Market.KOSPI}
    assert {r["stk_cd"] for r in fake.rows("ka10032", mrkt_tp="000")} == {x.code for x in KOSPI_AND_KOSDAQ}


def test_a_venue_ranks_that_venues_quotes_under_that_venues_codes(fake: Fake) -> None:
    rows = fake.first_page("ka10030", stex_tp="3")
    assert all(r["stk_cd"].endswith("_AL") for r in rows)
    for row in rows[:3]:
        basic = fake.top("ka10001", {"stk_cd": row["stk_cd"]})
        assert row["trde_qty"] == basic["trde_qty"]
    nxt = fake.rows("ka10030", stex_tp="2")
    assert nxt
    assert all(r["stk_cd"].endswith("_NX") for r in nxt)
    assert len(nxt) == sum(1 for x in LISTINGS if x.nxt_enabled)


def test_order_book_rankings_read_ka10004s_book(fake: Fake) -> None:
    rows = fake.rows("ka10020")
    nets = [r["netprps_req"] for r in rows]
    assert nets == sorted(nets, reverse=True)
    assert all(n > 0 for n in nets)
    for row in rows[:3]:
        book = fake.top("ka10004", {"stk_cd": row["stk_cd"]})
        assert (row["tot_sel_req"], row["tot_buy_req"]) == (book["tot_sel_req"], book["tot_buy_req"])
        assert row["buy_rt"] == pytest.approx(book["tot_buy_req"] / book["tot_sel_req"] * 100, abs=0.01)
    surges = fake.rows("ka10021")
    assert surges
    assert all(r["sdnin_qty"] == r["now"] - r["int"] > 0 for r in surges)
    book = fake.top("ka10004", {"stk_cd": surges[0]["stk_cd"]})
    assert surges[0]["now"] == surges[0]["tot_buy_qty"] == book["tot_buy_req"]


def test_surges_after_the_close_show_the_sessions_last_minutes() -> None:
    client, clock = make_client(unlimited(), FakeClock(SESSION_NOW.replace(hour=19)))
    fake = Fake(client, clock)
    assert fake.rows("ka10021")  # the book at the close against 30 minutes before it
    before_open = Fake(*make_client(unlimited(), FakeClock(SESSION_NOW.replace(hour=8))))
    assert before_open.rows("ka10021") == []


def test_volume_surges_compare_today_with_yesterday(fake: Fake) -> None:
    rows = fake.rows("ka10023")
    assert rows
    for row in rows:
        assert row["sdnin_qty"] == row["now_trde_qty"] - row["prev_trde_qty"] > 0
    basic = fake.top("ka10001", {"stk_cd": rows[0]["stk_cd"]})
    assert rows[0]["now_trde_qty"] == basic["trde_qty"]
    minutes = fake.rows("ka10023", tm_tp="1", tm="10", sort_tp="2")
    assert minutes
    assert all(r["prev_trde_qty"] < r["now_trde_qty"] for r in minutes)


def test_yesterdays_top_hundred_answers_the_ranks_asked(fake: Fake) -> None:
    first_ten = fake.rows("ka10031", mrkt_tp="000", rank_strt="1", rank_end="10")
    next_five = fake.rows("ka10031", mrkt_tp="000", rank_strt="11", rank_end="15")
    wide = fake.rows("ka10031", mrkt_tp="000", rank_strt="0", rank_end="15")
    assert len(first_ten) == 10
    assert len(next_five) == 5
    assert first_ten + next_five == wide
    by_value = fake.rows("ka10032", mrkt_tp="000")
    assert sorted(r["pred_rank"] for r in by_value) == list(range(1, len(by_value) + 1))


def test_credit_ratio_ranking_ranks_ka10001s_crd_rt(fake: Fake) -> None:
    rows = fake.rows("ka10033")
    assert {r["stk_cd"] for r in rows} == {x.code for x in KOSPI_AND_KOSDAQ}
    ratios = [r["crd_rt"] for r in rows]
    assert ratios == sorted(ratios, reverse=True)
    for row in (rows[0], rows[-1]):
        assert row["crd_rt"] == fake.top("ka10001", {"stk_cd": row["stk_cd"]})["crd_rt"]


def foreign_days(fake: Fake, code: str) -> list[Row]:
    """ka10008's newest page of daily foreign holdings."""
    return fake.first_page("ka10008", stk_cd=code)


def test_foreign_period_buying_is_the_sum_of_ka10008s_days(fake: Fake) -> None:
    rows = fake.rows("ka10034", dt="5", mrkt_tp="000")
    nets = [r["netprps_qty"] for r in rows]
    assert nets == sorted(nets, reverse=True)
    assert all(n > 0 for n in nets)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    for row in (rows[0], rows[-1]):
        days = foreign_days(fake, row["stk_cd"])
        assert row["netprps_qty"] == sum(d["chg_qty"] for d in days[:5])
        assert row["gain_pos_stkcnt"] == days[0]["gain_pos_stkcnt"]


def test_foreign_exhaustion_rises_as_ka10008s_holdings_do(fake: Fake) -> None:
    rows = fake.rows("ka10036", dt="5")
    rises = [r["exh_rt_incrs"] for r in rows]
    assert rises[0] > 0
    assert rises == sorted(rises, reverse=True)
    assert min(rises) >= 0
    top = rows[0]
    days = foreign_days(fake, top["stk_cd"])
    assert top["poss_stkcnt"] == days[0]["poss_stkcnt"]
    assert top["limit_exh_rt"] == pytest.approx(days[0]["limit_exh_rt"], abs=0.01)
    assert top["base_limit_exh_rt"] == pytest.approx(days[5]["limit_exh_rt"], abs=0.01)
    period = {r["stk_cd"]: r["netprps_qty"] for r in fake.rows("ka10034", dt="5", mrkt_tp="000", trde_tp="3")}
    assert period[top["stk_cd"]] == top["poss_stkcnt"] - (days[5]["poss_stkcnt"])


def test_foreign_streaks_are_runs_of_ka10008s_net_buying(fake: Fake) -> None:
    rows = fake.rows("ka10035", base_dt_tp="0")
    assert rows
    for row in rows[:3]:
        days = foreign_days(fake, row["stk_cd"])
        assert [row["dm1"], row["dm2"]] == [days[0]["chg_qty"], days[1]["chg_qty"]]
        assert row["dm1"] > 0
        assert row["dm2"] > 0
        assert row["tot"] == row["dm1"] + row["dm2"] + row["dm3"]
    yesterday = fake.rows("ka10035", base_dt_tp="1", trde_tp="1")
    days = foreign_days(fake, yesterday[0]["stk_cd"])
    assert yesterday[0]["dm1"] == days[1]["chg_qty"] < 0


def test_foreign_brokers_today_are_ka10040s_foreign_members(fake: Fake) -> None:
    rows = fake.rows("ka10037", trde_tp="3")
    buys = [r["buy_trde_qty"] for r in rows]
    assert buys == sorted(buys, reverse=True)
    for row in rows[:3]:
        majors = fake.top("ka10040", {"stk_cd": row["stk_cd"]})
        assert row["buy_trde_qty"] == majors["frgn_buy_prsm_sum"]
        assert row["sel_trde_qty"] == majors["frgn_sel_prsm_sum"]
        assert row["netprps_trde_qty"] == row["buy_trde_qty"] + row["sel_trde_qty"]
        assert row["trde_qty"] == fake.top("ka10001", {"stk_cd": row["stk_cd"]})["trde_qty"]


def test_a_rank_outside_the_hundred_is_an_input_error(fake: Fake) -> None:
    body = dict(CATALOG["ka10031"].example, rank_end="101")
    answer = fake.raw("ka10031", body).json()
    assert "[1517:" in answer["return_msg"]


def test_the_day_before_the_session_still_ranks_yesterdays_flows() -> None:
    fake = Fake(*make_client(unlimited(), FakeClock(SESSION_NOW.replace(hour=8))))
    assert fake.rows("ka10034", dt="0")
    assert fake.rows("ka10030")
