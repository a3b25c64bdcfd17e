"""The fake's listing universe: real KRX listings read from ``krx/listings.csv``, checked row by row."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest

from fake_kiwoom.listings import (
    DATA_FILE,
    DATA_PACKAGE,
    FIELDS,
    LISTINGS,
    Listing,
    Market,
    data_text,
    find_listing,
    listings_in,
    parse_listings,
)
from fake_kiwoom.prices import on_grid
from tests.support.imports import ROOT

#: The smallest universe the fake promises, per market.
MINIMUM = {Market.KOSPI: 170, Market.KOSDAQ: 100, Market.ETF: 40, Market.ETN: 10}
ETF_BRANDS = ("KODEX ", "TIGER ", "RISE ", "ACE ", "SOL ", "PLUS ", "HANARO ", "KIWOOM ")
HEADER = ",".join(FIELDS)
ROW = "005930,삼성전자,Samsung Electronics,KOSPI,전기전자,70000,5969782550,19750611,100,대형주"


def test_the_universe_holds_at_least_300_listings_in_every_market() -> None:
    counts = Counter(item.market for item in LISTINGS)
    assert len(LISTINGS) >= 300
    assert set(counts) == set(Market)
    for market, minimum in MINIMUM.items():
        assert counts[market] >= minimum, market
        assert listings_in(market) == [item for item in LISTINGS if item.market is market]


def test_codes_are_unique_six_digit_codes_and_names_map_to_one_code() -> None:
    codes = [item.code for item in LISTINGS]
    names = [item.name for item in LISTINGS]
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert [code for code, n in Counter(codes).items() if n > 1] == []
    assert [name for name, n in Counter(names).items() if n > 1] == []
    assert all(item.name.strip() == item.name and item.name_en.strip() for item in LISTINGS)


def test_listings_are_built_from_the_shipped_csv() -> None:
    """``LISTINGS`` is exactly the packaged ``krx/listings.csv``, and that is the file in the repository."""
    repository_copy = (ROOT / DATA_PACKAGE / DATA_FILE).read_text(encoding="utf-8")
    assert data_text() == repository_copy
    assert data_text().splitlines()[0] == HEADER
    assert parse_listings(repository_copy) == LISTINGS
    assert len(repository_copy.splitlines()) == len(LISTINGS) + 1


def test_anchors_are_plausible() -> None:
    for item in LISTINGS:
        assert on_grid(item.base_price, etf=item.is_etp), item  # ETNs use the ETF grid
        assert item.shares > 0, item
        assert date(1950, 1, 1) < datetime.strptime(item.reg_day, "%Y%m%d").date() < date(2026, 1, 1), item


def test_etfs_are_branded_funds_without_face_value() -> None:
    for item in listings_in(Market.ETF):
        assert item.name.startswith(ETF_BRANDS), item.name
        assert (item.sector, item.face_value, item.size_class) == ("ETF", 0, ""), item
    assert {brand for item in listings_in(Market.ETF) for brand in ETF_BRANDS if item.name.startswith(brand)} == set(
        ETF_BRANDS
    )


@pytest.mark.parametrize(
    ("code", "name", "market"),
    [
        ("005930", "삼성전자", Market.KOSPI),
        ("005935", "삼성전자우", Market.KOSPI),
        ("009540", "HD한국조선해양", Market.KOSPI),
        ("403870", "HPSP", Market.KOSDAQ),
        ("145020", "휴젤", Market.KOSDAQ),
        ("069500", "KODEX 200", Market.ETF),
        ("133690", "TIGER 미국나스닥100", Market.ETF),
        ("530031", "삼성 레버리지 WTI원유 선물 ETN", Market.ETN),
        ("500061", "신한 인버스 코스피 200 선물 ETN", Market.ETN),
    ],
)
def test_known_listings_are_found_by_code(code: str, name: str, market: Market) -> None:
    found = find_listing(f"{code}_NX")
    assert found is not None
    assert (found.code, found.name, found.market) == (code, name, market)


def test_the_original_anchors_are_unchanged() -> None:
    """The deterministic tests' numbers hang on these: a row's values move only with those tests."""
    assert LISTINGS[0] == Listing(
        "005930", "삼성전자", "Samsung Electronics", Market.KOSPI, "전기전자", 70000, 5_969_782_550, "19750611", 100
    )
    assert find_listing("035900") == Listing(
        "035900", "JYP Ent.", "JYP Entertainment", Market.KOSDAQ, "오락·문화",
        60000, 35_593_486, "20011121", 500, "중형주",
    )  # fmt: skip
    assert find_listing("360750") == Listing(
        "360750", "TIGER 미국S&P500", "TIGER US S&P500", Market.ETF, "ETF", 19000, 120_000_000, "20200807", 0, ""
    )


def test_a_well_formed_csv_parses() -> None:
    (listing,) = parse_listings(f"{HEADER}\n{ROW}\n")
    assert listing == LISTINGS[0]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("code,name\n005930,삼성전자\n", "header"),
        (f"{HEADER}\n{ROW}\n{ROW}\n", f"{DATA_FILE}:3: code 005930 is listed twice"),
        (f"{HEADER}\n{ROW}\n{ROW.replace('005930', '005931')}\n", f"{DATA_FILE}:3: name 삼성전자 is listed twice"),
        (f"{HEADER}\n{ROW.replace('005930', '5930')}\n", "not six digits"),
        (f"{HEADER}\n{ROW.replace('KOSPI', 'KONEX')}\n", f"{DATA_FILE}:2: 005930"),
        (f"{HEADER}\n{ROW.replace('70000', '7만')}\n", f"{DATA_FILE}:2: 005930"),
        (f"{HEADER}\n{ROW.replace('70000', '0')}\n", "positive price"),
        (f"{HEADER}\n{ROW.replace('19750611', '1975-06')}\n", "YYYYMMDD"),
        (f"{HEADER}\n{ROW.rsplit(',', 1)[0]}\n", f"{DATA_FILE}:2: expected 10 columns"),
        (f"{HEADER}\n{ROW},extra\n", f"{DATA_FILE}:2: expected 10 columns"),
    ],
)
def test_a_malformed_csv_fails_naming_the_line(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_listings(text)
