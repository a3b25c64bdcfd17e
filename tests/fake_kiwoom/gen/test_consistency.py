"""The families agree where they model the same thing: one model answers each quantity, whichever TR asks.

Investor flows are the flows family's (ka10059) in the daily-price TRs, the sector flows and
the ETF returns; program trading is ka90013's; foreign brokers are ka10037's; credit ratios
are ka10013's; KOSPI200 is the sectors family's index 201; and every market-wide list writes
its codes as the venue asked for does. The fake clock stands mid-session (``SESSION_NOW``,
2025-11-26 11:17:30 KST), so the newest day's figures are partial.
"""

from __future__ import annotations

from typing import Any

import pytest

from fake_kiwoom.gen.sectors_index import INDEXES
from fake_kiwoom.listings import LISTINGS, Market, find_listing
from tests.support.catalog import Row, Session, all_rows, open_session
from tests.support.fake import call_tr
from tr_catalog import CATALOG, decode

CODE = "005930"
TODAY = "20251126"
PAST = "20251120"
PREVIOUS = "2025-11-25"  # the trading day before TODAY
OTHERS = ("etc_corp", "natfor")  # investors ka10059 shows beside individuals, institutions and foreigners


@pytest.fixture(scope="module")
def fake() -> Session:
    return open_session()


def answer(session: Session, api_id: str, body: dict[str, str]) -> dict[str, Any]:
    """The first page of ``api_id``: top-level values and rows, decoded as the catalog says."""
    client, token = session
    tr = CATALOG[api_id]
    raw = call_tr(client, token, api_id, body, group=tr.group).json()
    assert raw["return_code"] == 0, raw
    found: dict[str, Any] = {f.name: decode(raw[f.name], f.encoding) for f in tr.top}
    found["rows"] = [{f.name: decode(r[f.name], f.encoding) for f in tr.rows} for r in raw.get(tr.list_key or "", [])]
    return found


def by_day(rows: list[Row], key: str) -> dict[str, Row]:
    return {row[key]: row for row in rows}


def investors(session: Session, code: str, dt: str, *, amounts: bool = False, thousands: bool = False) -> list[Row]:
    body = {"dt": dt, "stk_cd": code, "amt_qty_tp": "1" if amounts else "2", "trde_tp": "0"}
    rows: list[Row] = answer(session, "ka10059", body | {"unit_tp": "1000" if thousands else "1"})["rows"]
    return rows


# --- 1. investor flows in the daily-price TRs ------------------------------------------------------


def test_daily_prices_show_ka10059s_individuals_institutions_and_foreigners(fake: Session) -> None:
    daily = all_rows(fake, "ka10086", {"stk_cd": CODE, "qry_dt": TODAY, "indc_tp": "0"})
    amounts = by_day(all_rows(fake, "ka10086", {"stk_cd": CODE, "qry_dt": TODAY, "indc_tp": "1"}), "date")
    shares = by_day(all_rows(fake, "ka10059", {"dt": TODAY, "stk_cd": CODE, "amt_qty_tp": "2", "trde_tp": "0",
                                               "unit_tp": "1"}), "dt")  # fmt: skip
    won = by_day(all_rows(fake, "ka10059", {"dt": TODAY, "stk_cd": CODE, "amt_qty_tp": "1", "trde_tp": "0",
                                            "unit_tp": "1"}), "dt")  # fmt: skip
    assert len(daily) > 100
    assert daily[0]["date"] == "2025-11-26"  # today's partial flows too
    for row in daily:
        s, w, a = shares[row["date"]], won[row["date"]], amounts[row["date"]]
        assert (row["ind"], row["orgn"], row["for_qty"]) == (s["ind_invsr"], s["orgn"], s["frgnr_invsr"])
        assert row["for_netprps"] == a["for_qty"] == a["for_netprps"] == s["frgnr_invsr"]  # foreigners: always shares
        assert (a["ind"], a["orgn"]) == (w["ind_invsr"], w["orgn"])  # indc_tp 1: 백만원, as ka10059's amt_qty_tp 1
        # Everyone's net buying balances: the three shown plus ka10059's other corporations and resident foreigners.
        assert row["ind"] + row["orgn"] + row["for_qty"] + sum(s[k] for k in OTHERS) == 0
        assert a["ind"] + a["orgn"] + w["frgnr_invsr"] + sum(w[k] for k in OTHERS) == 0


def test_daily_quote_screen_and_foreign_weight_follow_the_flows_family(fake: Session) -> None:
    screen = all_rows(fake, "ka10005", {"stk_cd": CODE})
    shares = by_day(investors(fake, CODE, TODAY), "dt")
    foreign = by_day(all_rows(fake, "ka10008", {"stk_cd": CODE}), "dt")
    daily = by_day(all_rows(fake, "ka10086", {"stk_cd": CODE, "qry_dt": TODAY, "indc_tp": "0"}), "date")
    for row in screen[: len(shares)]:
        s = shares[row["date"]]
        assert (row["ind_netprps"], row["orgn_netprps"], row["for_netprps"]) == (
            s["ind_invsr"], s["orgn"], s["frgnr_invsr"],
        )  # fmt: skip
    for day, f in foreign.items():
        assert daily[day]["for_netprps"] == f["chg_qty"]
        assert daily[day]["for_wght"] == daily[day]["for_rt"] == f["wght"]


# --- 2. sector flows -------------------------------------------------------------------------------


@pytest.mark.parametrize("base_dt", [PAST, ""])
def test_a_sectors_flows_are_the_sum_of_its_members_ka10059_rows(fake: Session, base_dt: str) -> None:
    sector = INDEXES["020"]  # 통신업: a handful of members
    day = base_dt or TODAY
    body = {"mrkt_tp": "0", "base_dt": base_dt, "stex_tp": "1"}
    quantities = by_day(answer(fake, "ka10051", body | {"amt_qty_tp": "1"})["rows"], "inds_cd")[sector.code]
    amounts = by_day(answer(fake, "ka10051", body | {"amt_qty_tp": "0"})["rows"], "inds_cd")[sector.code]
    in_thousands = [investors(fake, m.code, day, thousands=True)[0] for m in sector.members]
    in_won = [investors(fake, m.code, day, amounts=True)[0] for m in sector.members]
    assert {r["dt"] for r in in_thousands + in_won} == {f"{day[:4]}-{day[4:6]}-{day[6:]}"}
    columns = {"frgnr_netprps": "frgnr_invsr", "ind_netprps": "ind_invsr", "etc_corp_netprps": "etc_corp",
               "natn_netprps": "natn", "native_trmt_frgnr_netprps": "natfor"}  # fmt: skip
    for sector_row, member_rows in ((quantities, in_thousands), (amounts, in_won)):
        assert sector_row["frgnr_netprps"]
        for column, field in columns.items():
            assert sector_row[column] == sum(r[field] for r in member_rows), column
        # 기관계 leaves 국가 beside it; ka10059's orgn holds it.
        assert sector_row["orgn_netprps"] + sector_row["natn_netprps"] == sum(r["orgn"] for r in member_rows)


def test_an_etfs_period_flows_are_its_ka10059_days(fake: Session) -> None:
    etf = next(x for x in LISTINGS if x.market is Market.ETF)
    week = answer(fake, "ka40001", {"stk_cd": etf.code, "etfobjt_idex_cd": "201", "dt": "0"})["rows"][0]
    days = investors(fake, etf.code, TODAY)[:5]  # dt 0: the last five trading days, today's partial one included
    assert week["for_netprps_qty"] == sum(d["frgnr_invsr"] for d in days) != 0
    assert week["orgn_netprps_qty"] == sum(d["orgn"] for d in days)


# --- 3. KOSPI200 -----------------------------------------------------------------------------------


def test_program_trading_reads_kospi200_from_the_sector_index(fake: Session) -> None:
    program = {"amt_qty_tp": "1", "mrkt_tp": "P00101", "min_tic_tp": "1", "stex_tp": "1"}
    minutes = answer(fake, "ka90005", program | {"date": TODAY})["rows"]
    index = answer(fake, "ka20001", {"mrkt_tp": "2", "inds_cd": "201"})
    assert minutes[0]["kospi200"] == index["cur_prc"]  # the same instant, both to two decimals
    by_minute = by_day(minutes, "cntr_tm")
    for row in index["rows"][1:]:  # the newest row is stamped with the instant, not the minute
        assert by_minute[row["tm_n"]]["kospi200"] == row["cur_prc_n"]
    days = by_day(answer(fake, "ka90010", program | {"date": TODAY, "min_tic_tp": "0"})["rows"], "cntr_tm")
    closes = answer(fake, "ka20009", {"mrkt_tp": "2", "inds_cd": "201"})["rows"]
    assert (closes[0]["dt_n"], closes[1]["dt_n"]) == ("2025-11-26", PREVIOUS)  # today's: the level now
    for close in closes:
        assert days[f"{close['dt_n']}T00:00:00"]["kospi200"] == close["cur_prc_n"]


# --- 4. program trading, foreign brokers and credit per stock -------------------------------------


def test_daily_program_column_is_ka90013s_net_buying(fake: Session) -> None:
    shares = by_day(all_rows(fake, "ka10086", {"stk_cd": CODE, "qry_dt": PAST, "indc_tp": "0"}), "date")
    won = by_day(all_rows(fake, "ka10086", {"stk_cd": CODE, "qry_dt": PAST, "indc_tp": "1"}), "date")
    program = by_day(all_rows(fake, "ka90013", {"amt_qty_tp": "1", "stk_cd": CODE, "date": PAST}), "dt")
    screen = by_day(all_rows(fake, "ka10005", {"stk_cd": CODE}), "date")
    assert set(program) <= set(shares)
    assert any(p["prm_netprps_qty"] for p in program.values())
    for day, p in program.items():
        assert (shares[day]["prm"], won[day]["prm"]) == (p["prm_netprps_qty"], p["prm_netprps_amt"])
        if day in screen:
            assert screen[day]["prm"] == p["prm_netprps_qty"]


@pytest.mark.parametrize(("sort_tp", "indc_tp", "field"), [("2", "0", "netprps_trde_qty"), ("1", "1", "netprps_prica")])
def test_daily_foreign_broker_column_is_ka10037s(fake: Session, sort_tp: str, indc_tp: str, field: str) -> None:
    body = {"mrkt_tp": "001", "dt": "1", "trde_tp": "3", "sort_tp": sort_tp, "stex_tp": "1"}  # yesterday's buys
    desk = by_day(all_rows(fake, "ka10037", body), "stk_cd")[CODE]
    daily = by_day(answer(fake, "ka10086", {"stk_cd": CODE, "qry_dt": TODAY, "indc_tp": indc_tp})["rows"], "date")
    assert daily[PREVIOUS]["frgn"] == desk[field] != 0


def test_daily_credit_ratios_are_ka10013s(fake: Session) -> None:
    credit = all_rows(fake, "ka10013", {"stk_cd": CODE, "dt": TODAY, "qry_tp": "1"})
    daily = by_day(all_rows(fake, "ka10086", {"stk_cd": CODE, "qry_dt": TODAY, "indc_tp": "0"}), "date")
    assert credit
    for row in credit:
        assert (daily[row["dt"]]["crd_rt"], daily[row["dt"]]["crd_remn_rt"]) == (row["shr_rt"], row["remn_rt"])


# --- 5. venue suffixes in market-wide lists -------------------------------------------------------


@pytest.mark.parametrize(("stex_tp", "suffix"), [("1", ""), ("2", "_NX"), ("3", "_AL")])
def test_price_jumps_and_rankings_write_codes_as_the_venue_does(fake: Session, stex_tp: str, suffix: str) -> None:
    jumps = answer(fake, "ka10019", dict(CATALOG["ka10019"].example) | {"mrkt_tp": "001", "tm_tp": "2", "tm": "1",
                                                                         "stex_tp": stex_tp})["rows"]  # fmt: skip
    ranking = answer(fake, "ka10027", dict(CATALOG["ka10027"].example) | {"mrkt_tp": "001", "stex_tp": stex_tp})["rows"]
    assert jumps
    assert ranking
    for row in jumps + ranking:
        code = row["stk_cd"]
        assert code == code[:6] + suffix
        listing = find_listing(code[:6])
        assert listing is not None
        assert listing.nxt_enabled or suffix != "_NX"
    for row in (jumps[0], ranking[0]):  # the code is the one ka10001 takes for the quote the row shows
        quote = answer(fake, "ka10001", {"stk_cd": row["stk_cd"]})
        assert quote["stk_cd"] == row["stk_cd"]
        assert (quote["cur_prc"], quote["trde_qty"]) == (row["cur_prc"], row.get("trde_qty", row.get("now_trde_qty")))
