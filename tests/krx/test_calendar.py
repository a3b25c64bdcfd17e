"""KRX sessions, holidays and the next open, in Korea time."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from krx.calendar import KST, KrxCalendar, Session

cal = KrxCalendar()


@pytest.mark.parametrize(
    ("moment", "session", "reason"),
    [
        ("2026-11-26T08:00", Session.CLOSED, "장 시작 전"),
        ("2026-11-26T08:35", Session.PRE_MARKET_CLOSE_PRICE, "장전 시간외 종가"),
        ("2026-11-26T08:50", Session.OPENING_AUCTION, "장 시작 동시호가"),
        ("2026-11-26T10:00", Session.REGULAR, "정규장"),
        ("2026-11-26T15:25", Session.CLOSING_AUCTION, "장 마감 동시호가"),
        ("2026-11-26T15:35", Session.CLOSED, "장 마감 후 휴식"),
        ("2026-11-26T15:45", Session.AFTER_HOURS_CLOSE_PRICE, "장후 시간외 종가"),
        ("2026-11-26T17:00", Session.AFTER_HOURS_SINGLE_PRICE, "시간외 단일가"),
        ("2026-11-26T19:00", Session.CLOSED, "장 종료"),
        ("2026-11-28T10:00", Session.CLOSED, "주말 휴장"),
        ("2026-12-25T10:00", Session.CLOSED, "휴장일"),
    ],
)
def test_sessions(moment: str, session: Session, reason: str) -> None:
    state = cal.clock(datetime.fromisoformat(moment).replace(tzinfo=KST))
    assert state.session is session
    assert state.reason == reason
    assert state.market_open is (session is not Session.CLOSED)


def test_next_open_skips_weekend_and_holiday() -> None:
    friday_evening = datetime(2026, 12, 24, 19, 0, tzinfo=KST)  # Christmas on Friday
    assert cal.clock(friday_evening).next_open == datetime(2026, 12, 28, 8, 30, tzinfo=KST)
    early = datetime(2026, 11, 26, 7, 0, tzinfo=KST)
    assert cal.clock(early).next_open == datetime(2026, 11, 26, 8, 30, tzinfo=KST)


def test_utc_input_is_read_in_korea_time() -> None:
    utc_moment = datetime.fromisoformat("2026-11-26T01:00:00+00:00")  # 10:00 KST
    assert cal.clock(utc_moment).session is Session.REGULAR


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)))
def test_trading_days_never_weekends_or_holidays(day: date) -> None:
    back = cal.trading_days_back(day, 5)
    assert len(back) == 5
    assert back == sorted(back, reverse=True)
    assert all(d.weekday() < 5 and not cal.is_holiday(d) for d in back)
    assert cal.next_trading_day(day) > day
    assert cal.previous_trading_day(day) < day


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 1)))
def test_next_open_is_in_the_future_on_a_trading_day(naive: datetime) -> None:
    state = cal.clock(naive.replace(tzinfo=KST))
    assert state.next_open > state.now
    assert state.next_open - state.now < timedelta(days=12)
    assert cal.is_trading_day(state.next_open.date())


def test_extra_holidays() -> None:
    custom = KrxCalendar(extra_holidays=[date(2026, 11, 26)])
    assert not custom.is_trading_day(date(2026, 11, 26))
