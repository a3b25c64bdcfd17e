"""A KRX trading day's shape: continuous trading, then the closing call auction.

KRX trades continuously from 09:00 to 15:20, then runs a closing call auction until 15:30
(``krx.calendar.SESSION_TABLE``). The fake models the auction simply and faithfully:

* orders are collected but nothing trades from 15:20 to 15:30, so no minute bar is stamped
  15:21-15:29 and the price stays at the last pre-auction trade;
* at 15:30 one single-price execution fixes the day's close and carries the auction volume;
  the 15:30 minute bar is that execution alone (open = high = low = close);
* a coarser bar whose bucket spans 15:20-15:30 (``tic_scope`` 15, 30, 45, 60) folds the
  execution in and ends at 15:30; a bucket holding only continuous minutes never ends
  after 15:20 (the 3-minute bar covering 15:18-15:20 is stamped 15:20, not 15:21).

The indicative auction price (예상체결가) is not modelled. Bars are labelled with their end,
as they always were in the fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from krx.calendar import KST, REGULAR_CLOSE, REGULAR_OPEN, SESSION_TABLE, Session


def _minutes_after_open(moment: datetime) -> int:
    opening = moment.replace(hour=REGULAR_OPEN.hour, minute=REGULAR_OPEN.minute, second=0, microsecond=0)
    return (moment - opening) // timedelta(minutes=1)


_DAY = date(2000, 1, 3)

#: 09:00-15:30: the day's price path, ending with the closing auction's execution.
SESSION_MINUTES = _minutes_after_open(datetime.combine(_DAY, REGULAR_CLOSE))

#: 09:00-15:20: continuous trading; the closing call auction runs from here to ``SESSION_MINUTES``.
CONTINUOUS_MINUTES = next(
    _minutes_after_open(datetime.combine(_DAY, start))
    for start, _, session in SESSION_TABLE
    if session is Session.CLOSING_AUCTION
)


@dataclass(frozen=True, slots=True)
class MinuteBar:
    time: datetime  # KST, end of the bar
    open: int
    high: int
    low: int
    close: int
    volume: int
    acc_volume: int
    prev_close: int


def minutes_traded(kst: datetime) -> int:
    """How far into a trading day's path trading has got at ``kst`` (Korea time, a trading day).

    0 before 09:00; one per minute of continuous trading (the minute under way counts),
    held at ``CONTINUOUS_MINUTES`` through the closing auction; ``SESSION_MINUTES`` from
    15:30, once the auction has executed.
    """
    if kst.time() < REGULAR_OPEN:
        return 0
    if kst.time() >= REGULAR_CLOSE:
        return SESSION_MINUTES
    return min(CONTINUOUS_MINUTES, _minutes_after_open(kst) + 1)


def day_minute_bars(
    day: date, points: Sequence[int], cum_volume: Sequence[int], *, prev: int, visible: int, scope: int
) -> list[MinuteBar]:
    """One day's ``scope``-minute bars, oldest first, as far as ``visible`` (see ``minutes_traded``).

    ``points[k]`` is the path's price at 09:00 + k minutes and ``cum_volume[k]`` the volume
    traded by then (k = 0..390); ``points[390]`` is the auction price and the minutes
    between 15:20 and 15:30 are never traded.
    """
    session_open = datetime.combine(day, REGULAR_OPEN, tzinfo=KST)
    bars: list[MinuteBar] = []
    continuous = min(visible, CONTINUOUS_MINUTES)
    for start in range(0, continuous, scope):
        end = min(start + scope, continuous)
        seen = points[start : end + 1]
        label = session_open + timedelta(minutes=min(start + scope, CONTINUOUS_MINUTES))
        volume = cum_volume[end] - cum_volume[start]
        bars.append(MinuteBar(label, seen[0], max(seen), min(seen), seen[-1], volume, cum_volume[end], prev))
    if visible < SESSION_MINUTES:
        return bars
    price = points[SESSION_MINUTES]
    volume = cum_volume[SESSION_MINUTES] - cum_volume[CONTINUOUS_MINUTES]
    label = session_open + timedelta(minutes=SESSION_MINUTES)
    total = cum_volume[SESSION_MINUTES]
    if bars and (SESSION_MINUTES - 1) // scope == (CONTINUOUS_MINUTES - 1) // scope:  # one bucket holds both
        last = bars[-1]
        high, low = max(last.high, price), min(last.low, price)
        bars[-1] = MinuteBar(label, last.open, high, low, price, last.volume + volume, total, prev)
    else:
        bars.append(MinuteBar(label, price, price, price, price, volume, total, prev))
    return bars
