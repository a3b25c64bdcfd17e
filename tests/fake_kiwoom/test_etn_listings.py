"""ETNs in the universe: real KRX notes, listed in ka10099's KOSPI list with ``marketCode`` 60.

The fake lists them as live does (Soochol/hoga-ops measured ``mrkt_tp=0`` carrying the
ETNs, ``marketCode`` 60, 70 or 90, ``nxtEnable`` N); the client labels them ETN, finds
them by name and quotes them like any code.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, ClassVar, cast

import pytest
from starlette.testclient import TestClient

from fake_kiwoom.listings import LISTINGS, MARKET_CODES, MARKET_NAMES_KO, Market, find_listing, listings_in
from fake_kiwoom.market import SyntheticMarket
from fake_kiwoom.prices import on_grid
from fake_kiwoom.walks import MARKET_SIGMA, RATE_SIGMA, daily_sigma
from kiwoom.listing import load_listing
from kiwoom.transport.tr import TRTransport
from tests.support.fake import SESSION_NOW, bracket_code, call_tr, issue_token, make_client, unlimited
from tests.support.harness import Harness, harness

ETNS = listings_in(Market.ETN)
ETN_CODES = {item.code for item in ETNS}
#: The issuers' ETN brands, as KRX short names begin (NH's N2 was QV, 한국투자's 한투 was TRUE).
ISSUERS = ("신한 ", "미래에셋 ", "삼성 ", "N2 ", "한투 ", "KB ", "메리츠 ", "하나 ", "키움 ")


@pytest.fixture(scope="module")
def session() -> tuple[TestClient, str]:
    client, _ = make_client(unlimited())
    return client, issue_token(client)


def _list(session: tuple[TestClient, str], mrkt_tp: str) -> list[dict[str, str]]:
    client, token = session
    body = call_tr(client, token, "ka10099", {"mrkt_tp": mrkt_tp}).json()
    assert body["return_code"] == 0, body
    rows: list[dict[str, str]] = body["list"]
    return rows


def _price(value: str) -> int:
    return int(value.lstrip("+-"))


# --- the listings ------------------------------------------------------------------------------


def test_etns_are_issuers_notes_without_face_value() -> None:
    assert 10 <= len(ETNS) <= 20
    assert {brand for item in ETNS for brand in ISSUERS if item.name.startswith(brand)} == set(ISSUERS)
    for item in ETNS:
        assert item.name.startswith(ISSUERS), item.name
        assert "ETN" in item.name, item
        assert "ETN" in item.name_en, item
        assert item.code.startswith(("5", "6", "7")), item  # ETN codes: issuer prefixes 500… to 760…
        assert (item.sector, item.face_value, item.size_class) == ("ETN", 0, ""), item
        assert item.is_etn, item
        assert item.is_etp, item
        assert not item.is_etf, item
        assert not item.nxt_enabled, item
        assert on_grid(item.base_price, etf=True), item


def test_etfs_stay_etfs_and_stocks_stay_stocks() -> None:
    """``is_etf`` is ETF-only; ``is_etp`` covers both products; stocks are neither."""
    for item in LISTINGS:
        assert item.is_etf == (item.market is Market.ETF), item
        assert item.is_etn == (item.market is Market.ETN), item
        assert item.is_etp == (item.is_etf or item.is_etn), item


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("530031", "삼성 레버리지 WTI원유 선물 ETN"),
        ("500061", "신한 인버스 코스피 200 선물 ETN"),
        ("550082", "N2 KIS CD금리투자 ETN"),
        ("760018", "키움 미국달러선물 ETN B"),
    ],
)
def test_known_etns_are_found_by_code(code: str, name: str) -> None:
    found = find_listing(code)
    assert found is not None
    assert (found.name, found.market) == (name, Market.ETN)
    assert find_listing(f"A{code}") == found


def test_etn_volatility_doubles_for_leverage_and_stays_flat_for_rate_notes() -> None:
    def sigma(code: str) -> float:
        found = find_listing(code)
        assert found is not None
        return daily_sigma(found)

    base = MARKET_SIGMA[Market.ETN]
    assert MARKET_SIGMA[Market.ETF] < base < MARKET_SIGMA[Market.KOSPI]
    assert sigma("500061") == base  # 인버스 (1x)
    assert sigma("530031") == sigma("530107") == sigma("530134") == 2 * base  # 레버리지, 인버스 2X
    assert sigma("550082") == sigma("570090") == sigma("580058") == RATE_SIGMA  # CD금리투자


def test_etn_closes_walk_on_the_etf_grid() -> None:
    market = SyntheticMarket(seed=7)
    for item in ETNS:
        bars = market.daily_bars(item.code, SESSION_NOW, count=250)
        assert len(bars) == 250
        assert all(on_grid(bar.close, etf=True) for bar in bars), item
        closes = [bar.close for bar in bars]
        assert item.base_price / 3 < min(closes) <= max(closes) < item.base_price * 3, item


# --- ka10099: the KOSPI list carries them, marketCode 60 ---------------------------------------


def test_the_kospi_list_carries_every_etn_with_its_own_market_code(session: tuple[TestClient, str]) -> None:
    rows = {row["code"]: row for row in _list(session, "0")}
    etn_rows = {code: row for code, row in rows.items() if row["marketCode"] == "60"}
    assert set(etn_rows) == ETN_CODES
    assert MARKET_CODES[Market.ETN] == "60"
    for item in ETNS:
        row = etn_rows[item.code]
        assert (row["name"], row["marketName"], row["nxtEnable"]) == (item.name, MARKET_NAMES_KO[Market.ETN], "N")
        assert row["marketName"] == "ETN"
        assert "신용가능" not in row["state"]
        assert row["regDay"] == item.reg_day
        assert int(row["listCount"]) == item.shares
        assert len(row["lastPrice"]) == 8
        assert int(row["lastPrice"]) > 0
    # the stocks and ETFs of the list keep their own codes
    assert {row["marketCode"] for row in rows.values()} == {"0", "8", "60"}


@pytest.mark.parametrize("mrkt_tp", ["10", "8"])
def test_no_other_list_carries_etns(session: tuple[TestClient, str], mrkt_tp: str) -> None:
    assert not {row["code"] for row in _list(session, mrkt_tp)} & ETN_CODES


def test_there_is_no_etn_list(session: tuple[TestClient, str]) -> None:
    """Kiwoom documents no ka10099 ``mrkt_tp`` 60: it is refused like any undocumented market."""
    client, token = session
    body = call_tr(client, token, "ka10099", {"mrkt_tp": "60"}).json()
    assert body["return_code"] == 2
    assert bracket_code(body) == 1901


# --- quotes ------------------------------------------------------------------------------------


def test_ka10001_quotes_every_etn(session: tuple[TestClient, str]) -> None:
    client, token = session
    for item in ETNS:
        body = call_tr(client, token, "ka10001", {"stk_cd": item.code}).json()
        assert body["return_code"] == 0, body
        assert (body["stk_cd"], body["stk_nm"], body["fav"]) == (item.code, item.name, "0")
        price, lower, upper = (_price(body[k]) for k in ("cur_prc", "lst_pric", "upl_pric"))
        assert 0 < lower <= price <= upper, body
        assert int(body["base_pric"]) > 0


def test_ka10004_books_an_etn(session: tuple[TestClient, str]) -> None:
    client, token = session
    body = call_tr(client, token, "ka10004", {"stk_cd": "530031"}).json()
    assert body["return_code"] == 0, body
    assert _price(body["sel_fpr_bid"]) > _price(body["buy_fpr_bid"]) > 0


# --- the client: labelled ETN, found by name -----------------------------------------------------


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    async with harness() as opened:
        yield opened


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("삼성 레버리지 WTI원유 선물 ETN", "530031"),
        ("신한인버스코스피200", "500061"),
        ("삼성 KRX 금현물", "530067"),
        ("N2 KIS CD금리투자 ETN", "550082"),
        ("760018", "760018"),
    ],
)
async def test_search_finds_an_etn_by_name_labelled_etn(h: Harness, query: str, expected: str) -> None:
    found = await h.client.search_stock(query)
    best = found["results"][0]
    assert best["stock_code"] == expected
    assert best["market"] == "ETN"
    listing = find_listing(expected)
    assert listing is not None
    assert best["name"] == listing.name


@pytest.mark.anyio
async def test_every_etn_match_is_labelled_etn_once(h: Harness) -> None:
    found = await h.client.search_stock("ETN")
    codes = [r["stock_code"] for r in found["results"]]
    assert codes
    assert len(codes) == len(set(codes))
    assert set(codes) <= ETN_CODES
    assert {r["market"] for r in found["results"]} == {"ETN"}
    stocks = await h.client.search_stock("삼성전자")
    assert stocks["results"][0]["market"] == "KOSPI"
    etfs = await h.client.search_stock("KODEX 200")
    assert etfs["results"][0]["market"] == "ETF"


@pytest.mark.anyio
async def test_the_client_quotes_an_etn_and_names_its_market(h: Harness) -> None:
    quote = await h.client.get_stock_price("530031")
    assert (quote["stock_code"], quote["name"]) == ("530031", "삼성 레버리지 WTI원유 선물 ETN")
    assert quote["lower_limit"] <= quote["price"] <= quote["upper_limit"]
    info = await h.client.get_stock_info("530031")
    assert info["market"] == "ETN"
    prices = await h.client.get_stock_prices(["500061", "005930", "069500"])
    assert [p["stock_code"] for p in prices["prices"]] == ["500061", "005930", "069500"]


# --- the client's listing over live-shaped rows ---------------------------------------------------


def _row(code: str, name: str, market_code: str) -> dict[str, str]:
    return {"code": code, "name": name, "marketCode": market_code, "lastPrice": "00010000", "listCount": "1"}


class _Lists:
    """ka10099 pages as live sends them: the KOSPI list carries ETFs and the three kinds of ETN."""

    LISTS: ClassVar[dict[str, list[dict[str, str]]]] = {
        "0": [
            _row("005930", "삼성전자", "0"),
            _row("069500", "KODEX 200", "8"),
            _row("500061", "신한 인버스 코스피 200 선물 ETN", "60"),
            _row("510043", "대신 인버스 천연가스 선물 ETN(H) B", "70"),
            _row("530130", "삼성 S&P500 VIX S/T 선물 ETN B", "90"),
        ],
        "10": [_row("035900", "JYP Ent.", "10")],
        "8": [_row("069500", "KODEX 200", "8"), _row("500061", "신한 인버스 코스피 200 선물 ETN", "60")],
    }

    async def pages(self, api_id: str, body: dict[str, Any], **_: Any) -> list[SimpleNamespace]:
        assert api_id == "ka10099"
        return [SimpleNamespace(body={"return_code": 0, "list": self.LISTS[body["mrkt_tp"]]})]


@pytest.mark.anyio
async def test_market_codes_60_70_90_are_etns_kept_once() -> None:
    entries = (await load_listing(cast(TRTransport, _Lists())))["entries"]
    assert [(e["stock_code"], e["market"]) for e in entries] == [
        ("005930", "KOSPI"),
        ("069500", "ETF"),
        ("500061", "ETN"),
        ("510043", "ETN"),
        ("530130", "ETN"),
        ("035900", "KOSDAQ"),
    ]
