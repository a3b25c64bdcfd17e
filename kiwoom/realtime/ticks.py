"""Real-time pushes as typed values with the REST results' field names (pure, no I/O).

A ``REAL`` frame carries numbered field ids (``kiwoom-protocol.md``, "WebSocket"); the
tools answer with the names ``get_stock_price`` and ``get_orderbook`` already use, so an
assistant reads a live quote and a REST quote the same way. Prices lose their direction
sign and changes keep their real sign, as in :mod:`kiwoom.operations.results`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from kiwoom.transport.protocol import SIGN_CODES, decode_float, decode_int, decode_price
from krx.calendar import KST

#: Real types this client registers: 주식체결, 주식호가잔량, 장시작시간.
QUOTE: Final = "0B"
ORDERBOOK: Final = "0D"
MARKET_OPERATION: Final = "0s"
RealType = Literal["0B", "0D", "0s"]
REAL_TYPES: Final[tuple[RealType, ...]] = (QUOTE, ORDERBOOK, MARKET_OPERATION)

#: Where a tick came from: the socket, or a REST quote fetched to fill a gap after a reconnect.
Origin = Literal["stream", "backfill"]


@dataclass(frozen=True, slots=True)
class Tick:
    """One pushed item of one real type, as received (values are the raw wire strings).

    ``received_at`` is epoch seconds on the receiving clock; ``seq`` counts accepted ticks
    per stream, so a consumer can tell how many it missed to conflation.
    """

    kind: RealType
    item: str
    values: Mapping[str, str] = field(repr=False)
    received_at: float
    seq: int = 0
    origin: Origin = "stream"

    @property
    def key(self) -> tuple[RealType, str]:
        return (self.kind, self.item)


def _num(decode: Any, values: Mapping[str, str], key: str) -> Any:
    raw = values.get(key, "")
    try:
        return decode(raw)
    except ValueError:
        return None


def tick_time(values: Mapping[str, str], key: str, received_at: float) -> str | None:
    """``HHMMSS`` on the day the tick was received (Korea time), as ISO 8601."""
    raw = values.get(key, "").strip()
    if len(raw) != 6 or not raw.isdigit():
        return None
    day = datetime.fromtimestamp(received_at, KST)
    try:
        moment = day.replace(hour=int(raw[:2]), minute=int(raw[2:4]), second=int(raw[4:]), microsecond=0)
    except ValueError:
        return None
    return moment.isoformat()


def quote_of(tick: Tick) -> dict[str, Any]:
    """주식체결 (0B) as ``get_stock_price`` names it, plus the trade that made it."""
    v = tick.values
    traded = _num(decode_int, v, "15")
    return {
        "stock_code": tick.item,
        "price": _num(decode_price, v, "10"),
        "change": _num(decode_int, v, "11"),
        "change_rate": _num(decode_float, v, "12"),
        "sign": SIGN_CODES.get(v.get("25", "").strip()),
        "volume": _num(decode_int, v, "13"),
        "value_million_krw": _num(decode_int, v, "14"),
        "open": _num(decode_price, v, "16"),
        "high": _num(decode_price, v, "17"),
        "low": _num(decode_price, v, "18"),
        "best_ask": _num(decode_price, v, "27"),
        "best_bid": _num(decode_price, v, "28"),
        "last_trade_quantity": abs(traded) if traded is not None else None,
        "last_trade_side": None if traded is None else ("buy" if not v.get("15", "").startswith("-") else "sell"),
        "execution_strength": _num(decode_float, v, "228"),
        "trade_time": tick_time(v, "20", tick.received_at),
    }


def orderbook_of(tick: Tick) -> dict[str, Any]:
    """주식호가잔량 (0D) as ``get_orderbook`` names it: ten levels each side, best first."""
    v = tick.values
    asks: list[dict[str, Any]] = []
    bids: list[dict[str, Any]] = []
    for level in range(1, 11):
        ask, bid = _num(decode_price, v, str(40 + level)), _num(decode_price, v, str(50 + level))
        if ask:
            asks.append({"level": level, "price": ask, "quantity": _num(decode_int, v, str(60 + level)) or 0})
        if bid:
            bids.append({"level": level, "price": bid, "quantity": _num(decode_int, v, str(70 + level)) or 0})
    return {
        "stock_code": tick.item,
        "as_of": tick_time(v, "21", tick.received_at),
        "asks": asks,
        "bids": bids,
        "total_ask_quantity": _num(decode_int, v, "121"),
        "total_bid_quantity": _num(decode_int, v, "125"),
    }


#: 장운영구분 (field 215) → what it means. KRX codes from Kiwoom's 0s page; Nextrade's letters follow it.
OPERATION_CODES: Final[Mapping[str, str]] = {
    "0": "KRX 장 시작 전 (동시호가 접수)",
    "2": "KRX 장 마감 전 동시호가",
    "3": "KRX 정규장 시작",
    "4": "KRX 정규장 마감",
    "8": "KRX 정규장 마감 (시간외 시작)",
    "9": "KRX 시간외 마감",
    "a": "KRX 시간외 종가 시작",
    "b": "KRX 시간외 종가 마감",
    "c": "KRX 시간외 단일가 시작",
    "d": "KRX 시간외 단일가 마감",
    "P": "NXT 프리마켓 시작",
    "Q": "NXT 프리마켓 마감",
    "R": "NXT 메인마켓 시작",
    "S": "NXT 메인마켓 마감",
    "T": "NXT 애프터마켓 단일가 시작",
    "U": "NXT 애프터마켓 시작",
    "V": "NXT 종가매매 종료",
    "W": "NXT 애프터마켓 마감",
}


def market_operation_of(tick: Tick) -> dict[str, Any]:
    """장시작시간 (0s): the operation code Kiwoom last announced, its meaning and time."""
    v = tick.values
    code = v.get("215", "").strip()
    return {
        "operation_code": code or None,
        "operation": OPERATION_CODES.get(code),
        "announced_at": tick_time(v, "20", tick.received_at),
        "time_to_open": v.get("214", "").strip() or None,
    }
