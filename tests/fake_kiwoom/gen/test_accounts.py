"""The account reads agree with the account kt00001/kt00018 serve and with the market ka10081 shows.

The history is day trades in stocks the account does not hold, bought in the opening auction
and sold in the closing one: executions fill at ka10081's open and close, cash moves by the
realized profit, and every period TR reconciles with the daily ones. The clock is set per
test: mid-session (``SESSION_NOW``, a Wednesday) or after that day's close.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from fake_kiwoom.accounts import DEFAULT_ACCOUNT
from krx.calendar import KST
from tests.support.fake import SESSION_NOW, FakeClock, call_tr, issue_token, make_client, unlimited
from tr_catalog import CATALOG, decode

Row = dict[str, Any]
AFTER_CLOSE = SESSION_NOW.replace(hour=16, minute=5, second=0)
DAY = SESSION_NOW.date()
HELD = {h.code for h in DEFAULT_ACCOUNT.holdings}


class Fake:
    def __init__(self, client: TestClient, token: str, clock: FakeClock) -> None:
        self.client, self.token, self.clock = client, token, clock

    def at(self, moment: datetime) -> Fake:
        self.clock.now = moment.timestamp()
        return self

    def raw(self, api_id: str, body: dict[str, str], *, cont_yn: str | None = None, next_key: str | None = None) -> Any:
        group = CATALOG[api_id].group
        return call_tr(self.client, self.token, api_id, body, group=group, cont_yn=cont_yn, next_key=next_key)

    def ask(self, api_id: str, body: dict[str, str]) -> tuple[Row, list[Row]]:
        """The decoded top fields and rows of one page."""
        tr = CATALOG[api_id]
        answer = self.raw(api_id, body).json()
        assert answer["return_code"] == 0, answer
        top = {f.name: decode(answer[f.name], f.encoding) for f in tr.top}
        rows = [{f.name: decode(r[f.name], f.encoding) for f in tr.rows} for r in answer.get(tr.list_key or "", [])]
        return top, rows

    def pages(self, api_id: str, body: dict[str, str]) -> list[list[Row]]:
        tr = CATALOG[api_id]
        pages: list[list[Row]] = []
        cont, key = None, None
        for _ in range(100):
            response = self.raw(api_id, body, cont_yn=cont, next_key=key)
            answer = response.json()
            assert answer["return_code"] == 0, answer
            pages.append([{f.name: decode(r[f.name], f.encoding) for f in tr.rows} for r in answer[tr.list_key]])
            if response.headers["cont-yn"] != "Y":
                return pages
            cont, key = "Y", response.headers["next-key"]
        raise AssertionError("paging did not end")


@pytest.fixture(scope="module")
def fake() -> Fake:
    client, clock = make_client(unlimited(), FakeClock())
    return Fake(client, issue_token(client), clock)


def ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


def daily_bar(fake: Fake, code: str, day: date) -> Row:
    _, rows = fake.ask("ka10081", {"stk_cd": code, "base_dt": ymd(day), "upd_stkpc_tp": "1"})
    bar = rows[0]
    assert bar["dt"] == day.isoformat()
    return bar


def test_today_s_executions_fill_at_the_day_s_open_and_close_in_stocks_not_held(fake: Fake) -> None:
    body = {"stk_cd": "", "qry_tp": "0", "sell_tp": "0", "ord_no": "", "stex_tp": "0"}
    assert fake.at(SESSION_NOW).ask("ka10076", body)[1] == []  # nothing shows before the close
    _, fills = fake.at(AFTER_CLOSE).ask("ka10076", body)
    assert fills
    assert not {f["stk_cd"] for f in fills} & HELD
    assert [f["ord_no"] for f in fills] == sorted((f["ord_no"] for f in fills), reverse=True)
    for fill in fills:
        bar = daily_bar(fake, fill["stk_cd"], DAY)
        assert fill["cntr_pric"] == (bar["open_pric"] if fill["io_tp_nm"] == "+매수" else bar["cur_prc"])
    buys = [f for f in fills if f["io_tp_nm"] == "+매수"]
    sells = fake.ask("ka10076", {**body, "sell_tp": "1"})[1]
    assert {(f["stk_cd"], f["cntr_qty"]) for f in buys} == {(f["stk_cd"], f["cntr_qty"]) for f in sells}
    # the balance TRs show neither the trades nor the stocks: the day trades left them unchanged
    _, held = fake.ask("kt00018", {"qry_tp": "1", "dmst_stex_tp": "KRX"})
    assert {r["stk_cd"][1:] for r in held} == HELD


def test_realized_profit_is_proceeds_less_cost_and_the_three_reports_agree(fake: Fake) -> None:
    fake.at(AFTER_CLOSE)
    journal_top, journal = fake.ask("ka10170", {"base_dt": "", "ottks_tp": "1", "ch_crd_tp": "0"})
    daily_top, daily = fake.ask("ka10074", {"strt_dt": ymd(DAY), "end_dt": ymd(DAY)})
    assert journal
    assert len(daily) == 1
    for row in journal:
        assert row["pl_amt"] == row["sell_amt"] - row["buy_amt"] - row["cmsn_alm_tax"]
        detail_top, detail = fake.ask("ka10077", {"stk_cd": row["stk_cd"]})
        assert [d["tdy_sel_pl"] for d in detail] == [row["pl_amt"]]
        assert detail_top["tdy_rlzt_pl"] == journal_top["tot_pl_amt"]
    assert daily[0]["tdy_sel_pl"] == journal_top["tot_pl_amt"] == daily_top["rlzt_pl"]
    assert daily[0]["sell_amt"] == journal_top["tot_sell_amt"]
    assert daily[0]["buy_amt"] == journal_top["tot_buy_amt"]
    today_top, _ = fake.ask("kt00017", {})
    assert today_top["sell_amt"] == daily[0]["sell_amt"]
    assert today_top["cmsn"] + today_top["tax"] == journal_top["tot_cmsn_tax"]


def test_daily_assets_end_at_the_balance_kt00001_and_kt00018_report(fake: Fake) -> None:
    for moment in (SESSION_NOW, AFTER_CLOSE):
        fake.at(moment)
        _, days = fake.ask("kt00002", {"start_dt": ymd(DAY - timedelta(days=20)), "end_dt": ymd(DAY)})
        deposit = decode(fake.raw("kt00001", {"qry_tp": "3"}).json()["entr"], "padded15")
        balance, _ = fake.ask("kt00018", {"qry_tp": "1", "dmst_stex_tp": "KRX"})
        assert days[-1]["dt"] == DAY.isoformat()
        assert days[-1]["entr"] == deposit
        assert days[-1]["prsm_dpst_aset_amt"] == balance["prsm_dpst_aset_amt"]


def test_cash_moves_day_by_day_by_the_realized_profit(fake: Fake) -> None:
    fake.at(AFTER_CLOSE)
    first = DAY - timedelta(days=40)
    _, days = fake.ask("kt00002", {"start_dt": ymd(first), "end_dt": ymd(DAY)})
    _, realized = fake.ask("ka10074", {"strt_dt": ymd(first), "end_dt": ymd(DAY)})
    profit = {r["dt"]: r["tdy_sel_pl"] for r in realized}
    assert len(days) > 20
    assert set(profit) == {d["dt"] for d in days}
    for before, after in itertools.pairwise(days):
        assert after["entr"] - before["entr"] == profit[after["dt"]]


def test_transaction_history_pages_once_through_every_trade_and_tracks_the_cash(fake: Fake) -> None:
    fake.at(AFTER_CLOSE)
    first = DAY - timedelta(days=120)
    body = {"strt_dt": ymd(first), "end_dt": ymd(DAY), "tp": "0", "stk_cd": "", "crnc_cd": "", "gds_tp": "0"}
    body |= {"frgn_stex_code": "", "dmst_stex_tp": "%"}
    pages = fake.pages("kt00015", body)
    assert len(pages) > 1
    rows = [r for page in pages for r in page]
    assert len({(r["trde_dt"], r["trde_no"]) for r in rows}) == len(rows)
    _, days = fake.ask("kt00002", {"start_dt": ymd(first), "end_dt": ymd(DAY)})
    cash = {d["dt"]: d["entr"] for d in days}
    last_of_day = {r["trde_dt"]: r["entra_remn"] for r in rows}
    assert last_of_day == {d: cash[d] for d in last_of_day}
    _, sells_only = fake.ask("kt00015", {**body, "tp": "5", "strt_dt": ymd(DAY)})
    assert sells_only
    assert {r["io_tp_nm"] for r in sells_only} == {"매도"}
    assert fake.ask("kt00015", {**body, "tp": "1"})[1] == []  # no deposits or withdrawals


def test_period_return_reconciles_with_the_daily_assets(fake: Fake) -> None:
    fake.at(AFTER_CLOSE)
    first, last = date(2025, 11, 3), DAY
    top, _ = fake.ask("kt00016", {"fr_dt": ymd(first), "to_dt": ymd(last)})
    _, days = fake.ask("kt00002", {"start_dt": "20251031", "end_dt": ymd(last)})
    assets = {d["dt"]: d["prsm_dpst_aset_amt"] for d in days}
    assert top["tot_amt_fr"] == assets["2025-10-31"]  # the period starts from the day before
    assert top["tot_amt_to"] == assets[last.isoformat()]
    assert top["evltv_prft"] == top["tot_amt_to"] - top["tot_amt_fr"]
    assert top["prft_rt"] == pytest.approx(top["evltv_prft"] / top["invt_bsamt"] * 100, abs=0.01)


def test_open_split_orders_rest_under_the_market_while_the_session_runs(fake: Fake) -> None:
    body = {"all_stk_tp": "0", "trde_tp": "0", "stk_cd": "", "stex_tp": "0"}
    _, orders = fake.at(SESSION_NOW).ask("ka10075", body)
    assert len(orders) == 3
    assert not {o["stk_cd"] for o in orders} & HELD
    quote = fake.raw("ka10001", {"stk_cd": orders[0]["stk_cd"]}).json()
    low = decode(quote["low_pric"], "price")
    assert all(o["ord_pric"] < low and o["oso_qty"] == o["ord_qty"] for o in orders)
    assert {o["cur_prc"] for o in orders} == {decode(quote["cur_prc"], "price")}
    for order in orders:
        _, children = fake.ask("ka10088", {"ord_no": str(int(order["ord_no"]))})
        assert sorted(c["ord_no"] for c in children) == sorted(o["ord_no"] for o in orders)
    assert fake.ask("ka10088", {"ord_no": "999"})[1] == []
    assert fake.ask("ka10075", {**body, "trde_tp": "1"})[1] == []  # nothing is for sale
    assert fake.at(AFTER_CLOSE).ask("ka10075", body)[1] == []  # day orders expire at the close


def test_account_return_rows_are_kt00018_s_holdings(fake: Fake) -> None:
    fake.at(SESSION_NOW)
    _, rows = fake.ask("ka10085", {"stex_tp": "0"})
    _, held = fake.ask("kt00018", {"qry_tp": "1", "dmst_stex_tp": "KRX"})
    mine = {(r["stk_cd"], r["rmnd_qty"], r["pur_pric"], r["cur_prc"]) for r in rows}
    assert mine == {(h["stk_cd"][1:], h["rmnd_qty"], h["pur_pric"], h["cur_prc"]) for h in held}


def test_the_history_is_the_same_for_every_server_of_one_seed() -> None:
    answers = []
    for _ in range(2):
        client, _ = make_client(unlimited(), FakeClock(datetime(2025, 11, 21, 17, 0, tzinfo=KST)))
        token = issue_token(client)
        body = {"strt_dt": "20251103", "end_dt": "20251121", "tp": "0", "gds_tp": "0", "dmst_stex_tp": "%"}
        answers.append(call_tr(client, token, "kt00015", body, group="acnt").json())
    assert answers[0] == answers[1]
    assert answers[0]["trst_ovrl_trde_prps_array"]
