"""``get_market_status``'s result, made from the KRX calendar's reading of the clock, or from the stream.

No Kiwoom TR reports the market session, so this is pure: the client passes the
:class:`~krx.calendar.MarketClock` for now and adds the environment and timestamp. The
result labels itself ``source: "calendar"``: it is computed, not fetched, so it is never
``live`` (nothing was asked of Kiwoom) and never ``simulated`` (the sandbox uses the same
calendar and clock as a real account).

While the real-time stream is up, Kiwoom announces each phase change (``0s``, 장시작시간);
:func:`with_operation` lets today's last announcement set the session (``source:
"stream"``), because the exchange's word beats the calendar on the days the calendar
cannot know (the opening an hour late on the college entrance exam day, say). The
calendar's session stays beside it (``calendar_session``), and ``trading_day`` and
``next_open`` still come from the calendar, which no announcement speaks to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from krx.calendar import SESSION_NAMES_KO, MarketClock, Session

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


#: Tells a reader the session came from Kiwoom's real-time announcement.
STREAM_BASIS = "키움 실시간 장운영(0s) 신호"
#: KRX 장운영구분 codes (``kiwoom.realtime.ticks.OPERATION_CODES``) → the sessions each one can mean, the
#: one taken when the calendar disagrees first (``0`` covers both pre-open sessions, 08:30-09:00).
#: Nextrade's letters are left out: they say nothing about the KRX session.
OPERATION_SESSIONS: Final[Mapping[str, tuple[Session, ...]]] = {
    "0": (Session.OPENING_AUCTION, Session.PRE_MARKET_CLOSE_PRICE),
    "3": (Session.REGULAR,),
    "2": (Session.CLOSING_AUCTION,),
    "4": (Session.CLOSED,),
    "8": (Session.CLOSED,),
    "a": (Session.AFTER_HOURS_CLOSE_PRICE,),
    "b": (Session.CLOSED,),
    "c": (Session.AFTER_HOURS_SINGLE_PRICE,),
    "d": (Session.CLOSED,),
    "9": (Session.CLOSED,),
}


def with_operation(status: dict[str, Any], operation: dict[str, Any], *, simulated: bool) -> dict[str, Any]:
    """``status`` with the session Kiwoom announced (``operation``: ``ticks.market_operation_of``).

    A code that names no KRX session (Nextrade's, or an unknown one) only adds the
    announcement; the calendar keeps the session and the source.
    """
    sessions = OPERATION_SESSIONS.get(str(operation.get("operation_code") or ""))
    if sessions is None:
        return {**status, "operation": operation}
    session = next((s for s in sessions if s.value == status.get("session")), sessions[0])
    trading = session is not Session.CLOSED
    announced = f"{operation.get('operation')} ({operation.get('announced_at') or '시각 미상'})"
    return {
        **status,
        "market_open": trading,
        "status": "OPEN" if trading else "CLOSED",
        "session": session.value,
        "session_name": SESSION_NAMES_KO[session],
        "reason": SESSION_NAMES_KO[session] if trading else operation.get("operation"),
        "source": "stream",
        "simulated": simulated,
        "basis": f"{STREAM_BASIS}: {announced}",
        "operation": operation,
        "calendar_session": status.get("session"),
    }
