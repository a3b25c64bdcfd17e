"""``get_market_status``'s result, made from the KRX calendar's reading of the clock.

No Kiwoom TR reports the market session, so this is pure: the client passes the
:class:`~krx.calendar.MarketClock` for now and adds the environment and timestamp. The
result labels itself ``source: "calendar"``: it is computed, not fetched, so it is never
``live`` (nothing was asked of Kiwoom) and never ``simulated`` (the sandbox uses the same
calendar and clock as a real account).
"""

from __future__ import annotations

from typing import Any

from krx.calendar import SESSION_NAMES_KO, MarketClock

#: Tells a reader the status is computed, not quoted by Kiwoom.
STATUS_BASIS = "KRX 거래 달력과 현재 시각 (시세 TR 없음)"
#: ``data.source`` of the market status: the KRX calendar read against the clock.
STATUS_SOURCE = "calendar"


def market_status(state: MarketClock) -> dict[str, Any]:
    """Open or closed, which session, why closed, and when the market next opens."""
    return {
        "market_open": state.market_open,
        "status": "OPEN" if state.market_open else "CLOSED",
        "session": state.session.value,
        "session_name": SESSION_NAMES_KO[state.session],
        "reason": state.reason,
        "trading_day": state.trading_day,
        "current_time": state.now.isoformat(timespec="seconds"),
        "next_open": state.next_open.isoformat(timespec="seconds"),
        "market_type": "KRX",
        "source": STATUS_SOURCE,
        "simulated": False,
        "basis": STATUS_BASIS,
    }
