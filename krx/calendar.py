"""KRX trading calendar and session clock (Korea time).

Kiwoom has no REST TR that reports whether the market is open, so both the client's
``get_market_status`` and the fake's synthetic market derive it from the clock and this
calendar. Keeping one calendar means the fake's prices stop moving exactly when the
client says the market is closed.

The holiday list is best effort for 2024-2027 (public holidays, substitute holidays,
election days and the year-end closing day); pass ``extra_holidays`` where it is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum

KST = timezone(timedelta(hours=9), name="KST")

KRX_HOLIDAYS: frozenset[date] = frozenset(
    date.fromisoformat(d)
    for d in (
        # 2024
        "2024-01-01", "2024-02-09", "2024-02-12", "2024-03-01", "2024-04-10", "2024-05-01",
        "2024-05-06", "2024-05-15", "2024-06-06", "2024-08-15", "2024-09-16", "2024-09-17",
        "2024-09-18", "2024-10-01", "2024-10-03", "2024-10-09", "2024-12-25", "2024-12-31",
        # 2025
        "2025-01-01", "2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-03-03",
        "2025-05-01", "2025-05-05", "2025-05-06", "2025-06-03", "2025-06-06", "2025-08-15",
        "2025-10-03", "2025-10-06", "2025-10-07", "2025-10-08", "2025-10-09", "2025-12-25",
        "2025-12-31",
        # 2026
        "2026-01-01", "2026-02-16", "2026-02-17", "2026-02-18", "2026-03-02", "2026-05-01",
        "2026-05-05", "2026-05-25", "2026-06-03", "2026-08-17", "2026-09-24", "2026-09-25",
        "2026-10-05", "2026-10-09", "2026-12-25", "2026-12-31",
        # 2027
        "2027-01-01", "2027-02-08", "2027-02-09", "2027-03-01", "2027-05-05", "2027-05-13",
        "2027-08-16", "2027-09-14", "2027-09-15", "2027-09-16", "2027-10-04", "2027-10-11",
        "2027-12-27", "2027-12-31",
    )
)  # fmt: skip


class Session(StrEnum):
    """KRX trading sessions of one trading day, in order."""

    CLOSED = "closed"
    PRE_MARKET_CLOSE_PRICE = "pre_market_close_price"
    OPENING_AUCTION = "opening_auction"
    REGULAR = "regular"
    CLOSING_AUCTION = "closing_auction"
    AFTER_HOURS_CLOSE_PRICE = "after_hours_close_price"
    AFTER_HOURS_SINGLE_PRICE = "after_hours_single_price"


SESSION_NAMES_KO: dict[Session, str] = {
    Session.CLOSED: "장 종료",
    Session.PRE_MARKET_CLOSE_PRICE: "장전 시간외 종가",
    Session.OPENING_AUCTION: "장 시작 동시호가",
    Session.REGULAR: "정규장",
    Session.CLOSING_AUCTION: "장 마감 동시호가",
    Session.AFTER_HOURS_CLOSE_PRICE: "장후 시간외 종가",
    Session.AFTER_HOURS_SINGLE_PRICE: "시간외 단일가",
}

#: (start, end, session) in Korea time; gaps between them are closed.
SESSION_TABLE: tuple[tuple[time, time, Session], ...] = (
    (time(8, 30), time(8, 40), Session.PRE_MARKET_CLOSE_PRICE),
    (time(8, 40), time(9, 0), Session.OPENING_AUCTION),
    (time(9, 0), time(15, 20), Session.REGULAR),
    (time(15, 20), time(15, 30), Session.CLOSING_AUCTION),
    (time(15, 40), time(16, 0), Session.AFTER_HOURS_CLOSE_PRICE),
    (time(16, 0), time(18, 0), Session.AFTER_HOURS_SINGLE_PRICE),
)

REGULAR_OPEN = time(9, 0)
REGULAR_CLOSE = time(15, 30)  # end of the closing auction: the day's close is fixed here


@dataclass(frozen=True, slots=True)
class MarketClock:
    """Where the KRX day stands at one instant."""

    now: datetime
    trading_day: bool
    session: Session
    reason: str
    next_open: datetime

    @property
    def market_open(self) -> bool:
        """True while orders can trade (any session other than closed)."""
        return self.session is not Session.CLOSED


class KrxCalendar:
    """Trading days and sessions; holidays can be extended for years the table lacks."""

    def __init__(self, extra_holidays: Iterable[date] = ()) -> None:
        self._holidays = KRX_HOLIDAYS | frozenset(extra_holidays)

    @property
    def holidays(self) -> frozenset[date]:
        """Every holiday this calendar knows (the table plus any extra ones)."""
        return self._holidays

    def is_holiday(self, day: date) -> bool:
        return day in self._holidays

    def is_trading_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def previous_trading_day(self, day: date) -> date:
        """The last trading day strictly before ``day``."""
        d = day - timedelta(days=1)
        while not self.is_trading_day(d):
            d -= timedelta(days=1)
        return d

    def next_trading_day(self, day: date) -> date:
        """The first trading day strictly after ``day``."""
        d = day + timedelta(days=1)
        while not self.is_trading_day(d):
            d += timedelta(days=1)
        return d

    def trading_days_back(self, last: date, count: int) -> list[date]:
        """``count`` trading days ending at ``last`` (included if it trades), newest first."""
        days: list[date] = []
        d = last if self.is_trading_day(last) else self.previous_trading_day(last)
        while len(days) < count:
            days.append(d)
            d = self.previous_trading_day(d)
        return days

    def clock(self, now: datetime) -> MarketClock:
        """The session at ``now`` (any timezone), why it is closed, and when trading next opens."""
        kst_now = now.astimezone(KST)
        today = kst_now.date()
        trading = self.is_trading_day(today)
        session = Session.CLOSED
        if trading:
            t = kst_now.time()
            for start, end, candidate in SESSION_TABLE:
                if start <= t < end:
                    session = candidate
                    break
        next_day = today if trading and kst_now.time() < SESSION_TABLE[0][0] else self.next_trading_day(today)
        next_open = datetime.combine(next_day, SESSION_TABLE[0][0], tzinfo=KST)
        if session is not Session.CLOSED:
            reason = SESSION_NAMES_KO[session]
        elif not trading and today.weekday() >= 5:
            reason = "주말 휴장"
        elif not trading:
            reason = "휴장일"
        elif kst_now.time() < SESSION_TABLE[0][0]:
            reason = "장 시작 전"
        elif kst_now.time() < SESSION_TABLE[-1][1]:
            reason = "장 마감 후 휴식"
        else:
            reason = "장 종료"
        return MarketClock(kst_now, trading, session, reason, next_open)
