"""The flows family agrees with the market: investor flows balance and line up with ka10081, rankings rank them.

The fake clock stands mid-session (``SESSION_NOW``), so the newest day's flows are partial.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from starlette.testclient import TestClient

from fake_kiwoom.gen.flows_themes import THEMES
from tests.support.catalog import Session, ask, open_session, rows, top
from tests.support.fake import bracket_code

CODE = "005930"
DAY = "20251126"
Row = dict[str, Any]
INSTITUTIONS = ("fnnc_invt", "insrnc", "invtrt", "etc_fnnc", "bank", "penfnd_etc", "samo_fund", "natn")


@pytest.fixture(scope="module")
def fake() -> Session:
    return open_session()


def investors(fake: tuple[TestClient, str], **body: str) -> list[Row]:
    base = {"dt": DAY, "stk_cd": CODE, "amt_qty_tp": "2", "trde_tp": "0", "unit_tp": "1"}
    return rows(fake, "ka10059", base | body)


def test_every_days_net_buying_balances_in_every_unit(fake: tuple[TestClient, str]) -> None:
    for unit in ({"amt_qty_tp": "1"}, {"amt_qty_tp": "2", "unit_tp": "1"}, {"amt_qty_tp": "2", "unit_tp": "1000"}):
        for row in investors(fake, **unit):
            assert row["ind_invsr"] + row["frgnr_invsr"] + row["orgn"] + row["etc_corp"] + row["natfor"] == 0
            assert row["orgn"] == sum(row[k] for k in INSTITUTIONS)


def test_investor_rows_are_ka10081s_trading_days(fake: tuple[TestClient, str]) -> None:
    daily = rows(fake, "ka10081", {"stk_cd": CODE, "base_dt": DAY, "upd_stkpc_tp": "1"})
    flows = investors(fake)
    assert [r["dt"] for r in flows] == [r["dt"] for r in daily]
    for flow, bar in zip(flows, daily, strict=True):
        assert (flow["cur_prc"], flow["acc_trde_qty"], flow["acc_trde_prica"]) == (
            bar["cur_prc"], bar["trde_qty"], bar["trde_prica"],
        )  # fmt: skip
        assert flow["pred_pre"] == bar["pred_pre"]


def test_buys_minus_sells_are_the_net(fake: tuple[TestClient, str]) -> None:
    net, buys, sells = (investors(fake, trde_tp=tp)[:30] for tp in ("0", "1", "2"))
    for n, b, s in zip(net, buys, sells, strict=True):
        for key in ("ind_invsr", "frgnr_invsr", "orgn", *INSTITUTIONS, "etc_corp", "natfor"):
            assert min(b[key], s[key]) >= 0
            assert b[key] - s[key] == n[key]
        bought = b["ind_invsr"] + b["frgnr_invsr"] + b["orgn"] + b["etc_corp"] + b["natfor"]
        assert abs(bought - n["acc_trde_qty"]) < n["acc_trde_qty"] * 0.2


def test_period_totals_sum_the_daily_rows(fake: tuple[TestClient, str]) -> None:
    body = {"stk_cd": CODE, "strt_dt": "20251020", "end_dt": "20251120", "amt_qty_tp": "1", "trde_tp": "0"}
    total = rows(fake, "ka10061", body | {"unit_tp": "1000"})
    daily = [r for r in investors(fake, amt_qty_tp="1") if "2025-10-20" <= r["dt"] <= "2025-11-20"]
    assert len(daily) == 24
    assert total == [{k: sum(r[k] for r in daily) for k in total[0]}]


def test_foreign_holdings_move_by_each_days_foreign_net_buying(fake: tuple[TestClient, str]) -> None:
    foreign = rows(fake, "ka10008", {"stk_cd": CODE})
    flows = investors(fake)
    assert [r["dt"] for r in foreign] == [r["dt"] for r in flows]
    for newer, older in itertools.pairwise(foreign):
        assert newer["poss_stkcnt"] - older["poss_stkcnt"] == newer["chg_qty"]
    assert [r["chg_qty"] for r in foreign] == [r["frgnr_invsr"] for r in flows]
    exhaustion = top(fake, "ka10001", {"stk_cd": CODE})["for_exh_rt"]
    for row in foreign:
        assert row["poss_stkcnt"] + row["gain_pos_stkcnt"] == row["frgnr_limit"]
        assert abs(row["limit_exh_rt"] - exhaustion) < 3.0


def test_ka10009_is_the_newest_day_of_the_flows(fake: tuple[TestClient, str]) -> None:
    answer = top(fake, "ka10009", {"stk_cd": CODE})
    flows = investors(fake)
    assert answer["date"] == flows[0]["dt"] == "2025-11-26"
    assert answer["orgn_daly_nettrde"] == flows[0]["orgn"]
    assert answer["frgnr_daly_nettrde"] == flows[0]["frgnr_invsr"]
    assert answer["orgn_dt_acc"] == sum(r["orgn"] for r in flows[:20])
    assert answer["frgnr_qota_rt"] == rows(fake, "ka10008", {"stk_cd": CODE}, pages=1)[0]["wght"]


def test_the_streak_ranking_ranks_the_stocks_own_flows(fake: tuple[TestClient, str]) -> None:
    body = {"dt": "1", "mrkt_tp": "001", "netslmt_tp": "2", "stk_inds_tp": "0", "amt_qty_tp": "1", "stex_tp": "1"}
    ranked = rows(fake, "ka10131", body)
    assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
    assert all(r["nettrde_qty"] > 0 for r in ranked)
    assert [r["nettrde_qty"] for r in ranked] == sorted((r["nettrde_qty"] for r in ranked), reverse=True)
    leader = ranked[0]
    flows = investors(fake, stk_cd=leader["stk_cd"])
    assert leader["orgn_nettrde_qty"] == flows[0]["orgn"]
    assert leader["frgnr_nettrde_qty"] == flows[0]["frgnr_invsr"]
    for who, key in (("orgn", "orgn"), ("frgnr", "frgnr_invsr")):
        run = [r[key] for r in flows[: next((i for i, r in enumerate(flows) if r[key] <= 0), 20)]]
        assert leader[f"{who}_cont_netprps_dys"] == len(run)
        assert leader[f"{who}_cont_netprps_qty"] == sum(run)


def test_a_dated_streak_query_needs_its_dates(fake: tuple[TestClient, str]) -> None:
    body = {"dt": "0", "mrkt_tp": "001", "netslmt_tp": "2", "stk_inds_tp": "0", "amt_qty_tp": "0", "stex_tp": "1"}
    answer = ask(fake, "ka10131", body)
    assert bracket_code(answer) == 1511
    assert "strt_dt" in answer["return_msg"]


def test_the_top_net_buyers_and_sellers_are_ranked_side_by_side(fake: tuple[TestClient, str]) -> None:
    body = {"mrkt_tp": "001", "amt_qty_tp": "2", "qry_dt_tp": "1", "date": "20251125", "stex_tp": "1"}
    table = rows(fake, "ka90009", body)
    assert len(table) == 50
    for column, sign in (("for_netslmt", -1), ("for_netprps", 1), ("orgn_netslmt", -1), ("orgn_netprps", 1)):
        values = [r[f"{column}_qty"] for r in table if r[f"{column}_stk_cd"]]
        assert all(v * sign >= 0 for v in values)
        assert values == sorted(values, key=lambda v: -v * sign)
    buyer = table[0]["for_netprps_stk_cd"]
    flows = [r for r in investors(fake, stk_cd=buyer) if r["dt"] == "2025-11-25"]
    assert table[0]["for_netprps_qty"] == round(flows[0]["frgnr_invsr"] / 1000)


def test_stock_program_trading_fits_in_ka10081s_volume(fake: tuple[TestClient, str]) -> None:
    program = rows(fake, "ka90013", {"amt_qty_tp": "1", "stk_cd": CODE, "date": DAY})
    daily = rows(fake, "ka10081", {"stk_cd": CODE, "base_dt": DAY, "upd_stkpc_tp": "1"})
    assert [r["dt"] for r in program] == [r["dt"] for r in daily]
    for row, bar in zip(program, daily, strict=True):
        assert row["trde_qty"] == bar["trde_qty"]
        assert row["prm_buy_qty"] + row["prm_sell_qty"] <= bar["trde_qty"]
        assert row["prm_netprps_qty"] == row["prm_buy_qty"] - row["prm_sell_qty"]
    for newer, older in itertools.pairwise(program):
        assert newer["prm_netprps_amt_irds"] == newer["prm_netprps_amt"] - older["prm_netprps_amt"]


def test_the_minute_program_totals_run_up_to_the_days_total(fake: tuple[TestClient, str]) -> None:
    body = {"date": "20251125", "amt_qty_tp": "1", "mrkt_tp": "P00101", "min_tic_tp": "1", "stex_tp": "1"}
    minutes = rows(fake, "ka90005", body)
    assert len(minutes) == 390
    assert (minutes[0]["cntr_tm"], minutes[-1]["cntr_tm"]) == ("15:30:00", "09:01:00")
    for newer, older in itertools.pairwise(minutes):
        assert newer["all_buy"] >= older["all_buy"]
        assert newer["all_sel"] >= older["all_sel"]
    for row in minutes:
        assert row["all_buy"] == row["dfrt_trde_buy"] + row["ndiffpro_trde_buy"]
        assert row["all_netprps"] == row["all_buy"] - row["all_sel"]
    days = rows(fake, "ka90010", body | {"min_tic_tp": "0"}, pages=1)
    assert days[0]["cntr_tm"] == "2025-11-25T00:00:00"
    close = {k: v for k, v in minutes[0].items() if k != "cntr_tm"}
    assert {k: v for k, v in days[0].items() if k != "cntr_tm"} == close


def test_a_themes_rates_are_its_members_averages(fake: tuple[TestClient, str]) -> None:
    body = {"qry_tp": "0", "date_tp": "5", "flu_pl_amt_tp": "3", "stex_tp": "1"}
    themes = rows(fake, "ka90001", body)
    assert len(themes) == len(THEMES)
    assert [t["flu_rt"] for t in themes] == sorted((t["flu_rt"] for t in themes), reverse=True)
    for theme in themes[:3]:
        members = rows(fake, "ka90002", {"date_tp": "5", "thema_grp_cd": theme["thema_grp_cd"], "stex_tp": "1"})
        assert len(members) == theme["stk_num"]
        quotes = [top(fake, "ka10001", {"stk_cd": m["stk_cd"]}) for m in members]
        assert [m["cur_prc"] for m in members] == [q["cur_prc"] for q in quotes]
        assert [m["flu_rt"] for m in members] == [q["flu_rt"] for q in quotes]
        assert theme["flu_rt"] == pytest.approx(sum(q["flu_rt"] for q in quotes) / len(quotes), abs=0.006)
        assert theme["dt_prft_rt"] == pytest.approx(sum(m["dt_prft_rt_n"] for m in members) / len(members), abs=0.006)
        assert theme["rising_stk_num"] == sum(q["flu_rt"] > 0 for q in quotes)
        assert theme["fall_stk_num"] == sum(q["flu_rt"] < 0 for q in quotes)


def test_a_stock_search_finds_the_themes_holding_it(fake: tuple[TestClient, str]) -> None:
    body = {"qry_tp": "2", "stk_cd": CODE, "date_tp": "1", "flu_pl_amt_tp": "1", "stex_tp": "1"}
    found = {t["thema_grp_cd"] for t in rows(fake, "ka90001", body)}
    assert found == {t.code for t in THEMES if any(m.code == CODE for m in t.members)}
    assert found
