"""Continuation paging of the chart TRs, next-key binding, and per-TR rate limiting."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest
from starlette.testclient import TestClient

from fake_kiwoom import FakeKiwoomConfig
from tests.support.fake import SAMPLE_BODIES, bracket_code, call_tr, issue_token, make_client, unlimited

DAILY = {"stk_cd": "005930", "base_dt": "20251126", "upd_stkpc_tp": "1"}


def _pages(client: TestClient, token: str, api_id: str, body: dict[str, str], key: str) -> list[list[dict[str, str]]]:
    pages: list[list[dict[str, str]]] = []
    cont, next_key = None, None
    for _ in range(20):
        response = call_tr(client, token, api_id, body, cont_yn=cont, next_key=next_key)
        assert response.status_code == 200, response.text
        pages.append(response.json()[key])
        if response.headers["cont-yn"] != "Y":
            assert response.headers["next-key"] == ""
            return pages
        next_key = response.headers["next-key"]
        assert 0 < len(next_key) <= 50
        cont = "Y"
    raise AssertionError("paging did not end")


def test_daily_chart_pages_are_contiguous_newest_first() -> None:
    client, _ = make_client(unlimited())
    token = issue_token(client)
    pages = _pages(client, token, "ka10081", DAILY, "stk_dt_pole_chart_qry")
    assert [len(p) for p in pages] == [600, 150]
    rows = [row for page in pages for row in page]
    days = [row["dt"] for row in rows]
    assert days == sorted(days, reverse=True)
    assert len(set(days)) == len(days) == 750
    assert days[0] == "20251126"
    assert (date(2025, 11, 26) - datetime.strptime(days[-1], "%Y%m%d").date()).days > 2 * 365
    for newer, older in itertools.pairwise(rows):
        assert int(newer["cur_prc"]) - int(newer["pred_pre"]) == int(older["cur_prc"])


def test_small_pages_give_several_continuations() -> None:
    client, _ = make_client(FakeKiwoomConfig(rate_limit_per_s=0, daily_page_size=300))
    token = issue_token(client)
    pages = _pages(client, token, "ka10081", DAILY, "stk_dt_pole_chart_qry")
    assert [len(p) for p in pages] == [300, 300, 150]


def test_minute_chart_spans_several_pages() -> None:
    client, _ = make_client(unlimited())
    token = issue_token(client)
    pages = _pages(client, token, "ka10080", SAMPLE_BODIES["ka10080"], "stk_min_pole_chart_qry")
    assert len(pages) >= 2
    assert all(len(p) == 900 for p in pages[:-1])
    times = [row["cntr_tm"] for page in pages for row in page]
    assert times == sorted(times, reverse=True)
    assert len(set(times)) == len(times)


def test_continuation_ignores_clock_moves() -> None:
    """Later pages come from the first page's snapshot, so new bars cannot shift rows."""
    client, clock = make_client(unlimited())
    token = issue_token(client)
    first = call_tr(client, token, "ka10080", SAMPLE_BODIES["ka10080"])
    clock.advance(600)
    second = call_tr(
        client, token, "ka10080", SAMPLE_BODIES["ka10080"], cont_yn="Y", next_key=first.headers["next-key"]
    )
    last_of_first = first.json()["stk_min_pole_chart_qry"][-1]["cntr_tm"]
    first_of_second = second.json()["stk_min_pole_chart_qry"][0]["cntr_tm"]
    assert first_of_second < last_of_first


@pytest.mark.parametrize("scope", ["3", "5", "10", "15", "30", "45", "60"])
def test_minute_scopes_aggregate(scope: str) -> None:
    client, _ = make_client(unlimited())
    token = issue_token(client)
    body = {"stk_cd": "005930", "tic_scope": scope, "upd_stkpc_tp": "1"}
    response = call_tr(client, token, "ka10080", body)
    rows = response.json()["stk_min_pole_chart_qry"]
    assert response.headers["cont-yn"] == "N"
    assert len(rows) < 900
    for row in rows:
        prices = [int(row[f].lstrip("+-")) for f in ("open_pric", "high_pric", "low_pric", "cur_prc")]
        assert prices[2] <= min(prices)
        assert prices[1] >= max(prices)


def test_next_key_with_other_body_is_rejected() -> None:
    client, _ = make_client(unlimited())
    token = issue_token(client)
    first = call_tr(client, token, "ka10081", DAILY)
    other = {**DAILY, "stk_cd": "000660"}
    response = call_tr(client, token, "ka10081", other, cont_yn="Y", next_key=first.headers["next-key"])
    assert response.status_code == 400
    assert bracket_code(response.json()) == 1517


def test_next_key_from_other_tr_or_garbage_is_rejected() -> None:
    client, _ = make_client(unlimited())
    token = issue_token(client)
    minute_key = call_tr(client, token, "ka10080", SAMPLE_BODIES["ka10080"]).headers["next-key"]
    for key in (minute_key, "garbage", "600.1.deadbeef0000"):
        response = call_tr(client, token, "ka10081", DAILY, cont_yn="Y", next_key=key)
        assert bracket_code(response.json()) == 1517


def test_rate_limit_recovers_when_the_clock_moves() -> None:
    client, clock = make_client(FakeKiwoomConfig(rate_limit_per_s=1.0, rate_limit_burst=2))
    token = issue_token(client)
    codes = [call_tr(client, token, "ka10001", {"stk_cd": "005930"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    clock.advance(0.5)
    assert call_tr(client, token, "ka10001", {"stk_cd": "005930"}).status_code == 429
    clock.advance(1.0)
    assert call_tr(client, token, "ka10001", {"stk_cd": "005930"}).status_code == 200


def test_rate_limit_is_per_tr_and_per_app_key() -> None:
    client, _ = make_client(FakeKiwoomConfig(rate_limit_per_s=1.0, rate_limit_burst=1))
    token = issue_token(client)
    other_key_token = issue_token(client, "other-key", "other-secret")
    assert call_tr(client, token, "ka10001", {"stk_cd": "005930"}).status_code == 200
    assert call_tr(client, token, "ka10001", {"stk_cd": "005930"}).status_code == 429
    assert call_tr(client, token, "ka10004", {"stk_cd": "005930"}).status_code == 200
    assert call_tr(client, other_key_token, "ka10001", {"stk_cd": "005930"}).status_code == 200


def test_every_page_counts_against_the_limit() -> None:
    client, _ = make_client(FakeKiwoomConfig(rate_limit_per_s=1.0, rate_limit_burst=2, minute_page_size=100))
    token = issue_token(client)
    first = call_tr(client, token, "ka10080", SAMPLE_BODIES["ka10080"])
    key = first.headers["next-key"]
    assert call_tr(client, token, "ka10080", SAMPLE_BODIES["ka10080"], cont_yn="Y", next_key=key).status_code == 200
    third = call_tr(client, token, "ka10080", SAMPLE_BODIES["ka10080"], cont_yn="Y", next_key=key)
    assert third.status_code == 429


def test_token_endpoints_are_not_rate_limited() -> None:
    client, _ = make_client(FakeKiwoomConfig(rate_limit_per_s=1.0, rate_limit_burst=1))
    for _ in range(5):
        issue_token(client)


def test_journal_records_requests_and_reset_clears_state() -> None:
    client, clock = make_client(FakeKiwoomConfig(rate_limit_per_s=1.0, rate_limit_burst=1))
    token = issue_token(client)
    call_tr(client, token, "ka10081", DAILY)
    call_tr(client, token, "ka10081", DAILY)
    entries = client.get("/__admin/requests").json()["requests"]
    assert [e["api_id"] for e in entries] == ["au10001", "ka10081", "ka10081"]
    ok, limited = entries[1], entries[2]
    assert ok == {
        "ts": clock.now, "api_id": "ka10081", "path": "/api/dostk/chart", "stock_code": "005930",
        "status": 200, "return_code": 0, "detail_code": None, "cont_yn": "Y",
        "fault": None, "latency_ms": 0.0, "session": "default",
    }  # fmt: skip
    assert (limited["status"], limited["return_code"], limited["detail_code"]) == (429, 5, 1700)
    assert client.post("/__admin/reset").status_code == 200
    assert client.get("/__admin/requests").json() == {"requests": []}
    assert bracket_code(call_tr(client, token, "ka10001", {"stk_cd": "005930"}).json()) == 8005
    assert client.get("/__admin/health").json() == {"status": "ok"}


def test_journal_is_bounded() -> None:
    client, _ = make_client(FakeKiwoomConfig(journal_limit=3))
    for _ in range(5):
        issue_token(client)
    assert len(client.get("/__admin/requests").json()["requests"]) == 3
    off, _ = make_client(FakeKiwoomConfig(journal_limit=0))
    issue_token(off)
    assert off.get("/__admin/requests").json() == {"requests": []}
