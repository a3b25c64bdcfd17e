"""The synthetic market: KRX tick grid and limits, movement with the clock, determinism, consistency."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_kiwoom import SyntheticMarket
from fake_kiwoom.listings import LISTINGS, find_listing
from fake_kiwoom.prices import (
    on_grid,
    padded,
    price_limits,
    rate,
    sign_code,
    signed_price,
    step_down,
    step_up,
    tick_size,
)
from krx.calendar import KST

MARKET = SyntheticMarket(seed=7)
CODES = [item.code for item in LISTINGS]
WEDNESDAY = date(2025, 11, 26)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=KST)


def test_universe_is_real_krx_listings() -> None:
    assert len(LISTINGS) >= 45
    assert len(set(CODES)) == len(CODES)
    assert all(len(code) == 6 and code.isdigit() for code in CODES)
    samsung = find_listing("005930_AL")
    assert samsung is not None
    assert samsung.name == "삼성전자"
    assert {item.market.value for item in LISTINGS} == {"KOSPI", "KOSDAQ", "ETF", "ETN"}


@pytest.mark.parametrize(
    ("price", "tick"),
    [(1999, 1), (2000, 5), (4995, 5), (5000, 10), (19990, 10), (20000, 50), (49950, 50), (50000, 100),
     (199900, 100), (200000, 500), (499500, 500), (500000, 1000)],
)  # fmt: skip
def test_tick_table(price: int, tick: int) -> None:
    assert tick_size(price) == tick
    assert tick_size(price, etf=True) == 5


def test_steps_cross_band_edges() -> None:
    assert step_up(1999) == 2000
    assert step_up(2000) == 2005
    assert step_down(2000) == 1999
    assert step_down(50000, 2) == 49900


def test_encodings() -> None:
    assert signed_price(78800, 79000) == "-78800"
    assert signed_price(79100, 79000) == "+79100"
    assert signed_price(79000, 79000) == "79000"
    assert rate(-0.2449) == "-0.24"
    assert rate(0.0) == "0.00"
    assert padded(17534, 15) == "000000000017534"
    assert padded(-84, 15) == "-00000000000084"
    assert sign_code(130, 100, 70, 130) == "1"
    assert sign_code(70, 100, 70, 130) == "4"


@settings(max_examples=80, deadline=None)
@given(
    code=st.sampled_from(CODES),
    when=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 6, 30)),
)
def test_quotes_stay_on_grid_and_within_limits(code: str, when: datetime) -> None:
    q = MARKET.quote(code, when.replace(tzinfo=KST))
    etf = q.listing.is_etp
    assert (q.lower, q.upper) == price_limits(q.prev_close, etf=etf)
    assert q.lower >= q.prev_close * 0.7 - 1e-9
    assert q.upper <= q.prev_close * 1.3 + 1e-9
    for price in (q.price, q.prev_close, q.lower, q.upper):
        assert on_grid(price, etf=etf), price
    assert q.lower <= q.price <= q.upper
    if q.minutes:
        for price in (q.open, q.high, q.low):
            assert on_grid(price, etf=etf)
            assert q.lower <= price <= q.upper
        assert q.low <= min(q.open, q.price) <= max(q.open, q.price) <= q.high
    else:
        assert q.price == q.prev_close
        assert q.volume == 0
    book = MARKET.order_book(code, when.replace(tzinfo=KST))
    asks = [p for p, _ in book.asks if p]
    bids = [p for p, _ in book.bids if p]
    assert all(on_grid(p, etf=etf) and q.lower <= p <= q.upper for p in asks + bids)
    assert asks == sorted(set(asks))
    assert bids == sorted(set(bids), reverse=True)
    assert book.total_ask == sum(qty for _, qty in book.asks)


def test_price_moves_during_the_session() -> None:
    morning = [MARKET.price(code, at(WEDNESDAY, 10, 0)) for code in CODES]
    later = [MARKET.price(code, at(WEDNESDAY, 10, 5)) for code in CODES]
    moved = sum(a != b for a, b in zip(morning, later, strict=True))
    assert moved >= len(CODES) * 0.6


def test_price_is_frozen_outside_the_session() -> None:
    for code in ("005930", "069500", "247540"):
        after_close = MARKET.quote(code, at(WEDNESDAY, 15, 30))
        assert MARKET.price(code, at(WEDNESDAY, 20, 0)) == after_close.price
        bars = MARKET.daily_bars(code, at(WEDNESDAY, 18, 0), count=1)
        assert bars[0].close == after_close.price
        assert bars[0].day == WEDNESDAY
        before_open = MARKET.quote(code, at(WEDNESDAY, 8, 59))
        assert (
            before_open.price
            == before_open.prev_close
            == MARKET.daily_bars(code, at(WEDNESDAY, 8, 0), count=1)[0].close
        )
        friday_close = MARKET.price(code, at(date(2025, 11, 28), 16))
        assert MARKET.price(code, at(date(2025, 11, 29), 11)) == friday_close
        assert MARKET.price(code, at(date(2025, 11, 30), 23)) == friday_close


def test_newest_minute_bar_closes_at_the_current_price() -> None:
    for minute in (0, 1, 37, 59):
        now = at(WEDNESDAY, 13, minute)
        q = MARKET.quote("000660", now)
        bars = MARKET.minute_bars("000660", now)
        assert bars[0].close == q.price
        assert bars[0].acc_volume == q.volume
        five = MARKET.minute_bars("000660", now, scope=5)
        assert five[0].close == q.price


def test_daily_bar_matches_its_minute_bars() -> None:
    now = at(WEDNESDAY, 12, 0)
    minutes = MARKET.minute_bars("035720", now)
    day = WEDNESDAY - timedelta(days=1)
    of_day = [b for b in minutes if b.time.date() == day]
    assert len(of_day) == 381  # 380 minutes of continuous trading (09:01-15:20) and the 15:30 closing auction
    daily = next(b for b in MARKET.daily_bars("035720", now, count=5) if b.day == day)
    assert daily.high == max(b.high for b in of_day)
    assert daily.low == min(b.low for b in of_day)
    assert daily.volume == sum(b.volume for b in of_day)
    assert daily.open == of_day[-1].open
    assert daily.close == of_day[0].close


def test_daily_closes_respect_limits_over_the_whole_history() -> None:
    for code in ("252670", "010130", "293490"):
        bars = MARKET.daily_bars(code, at(WEDNESDAY, 16), count=750)
        for bar in bars:
            lower, upper = price_limits(bar.prev_close, etf=code == "252670")
            assert bar.low <= min(bar.open, bar.close)
            assert bar.high >= max(bar.open, bar.close)
            assert lower <= bar.low
            assert bar.high <= upper


def test_same_seed_same_market_whatever_the_order() -> None:
    now = at(WEDNESDAY, 14, 3)
    a, b = SyntheticMarket(seed=3), SyntheticMarket(seed=3)
    a_quotes = [a.quote(code, now) for code in CODES[:10]]
    b_quotes = [b.quote(code, now) for code in reversed(CODES[:10])]
    assert a_quotes == list(reversed(b_quotes))
    assert a.daily_bars("005930", now, count=50) == b.daily_bars("005930", now, count=50)
    assert a.order_book("005930", now) == b.order_book("005930", now)


def test_different_seed_different_market() -> None:
    now = at(WEDNESDAY, 14, 3)
    a, b = SyntheticMarket(seed=3), SyntheticMarket(seed=4)
    assert [a.price(c, now) for c in CODES[:12]] != [b.price(c, now) for c in CODES[:12]]
