"""The WebSocket's frames: registrations (REG/REMOVE), error envelopes and REAL values.

Kept apart from the connection loop (``websocket.py``) so the encodings can be checked
without a socket.

Error choices (no public source documents WebSocket error codes, so these reuse the REST
detail codes a client already parses with ``\\[(\\d{3,5}):``):

* bad or expired token on LOGIN (or a frame before LOGIN): 8005, category 3, then close;
* a frame that is not a JSON object, an unknown ``trnm``, ``refresh`` not ``0``/``1``, an
  unknown or unsupported real type, or more codes than the limit: 1517, category 2;
* ``grp_no`` or ``data`` missing: 1511, category 2;
* an unknown stock code: 1902, category 2 (as ka10001 answers it).

The registration limits: at most :data:`GROUP_ITEMS` distinct items per ``grp_no`` and
:data:`MAX_GROUPS` groups per connection, so one socket holds 2,000 codes. No published
figure was found for Kiwoom REST; 100 per group follows the OpenAPI+ ``SetRealReg`` limit
of 100 codes per screen number (a group is REST's screen number), and 20 groups keep a
runaway client bounded while a whole market (about 1,000 codes on the fake) fits on one
socket.

``0s`` (장시작시간) is market-wide: it is registered with ``item: [""]`` (no item, or
``""``, is accepted too; any item given is ignored) and pushed on its own schedule, see
:func:`operation_item`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from krx.calendar import REGULAR_CLOSE, REGULAR_OPEN, SESSION_TABLE, KrxCalendar, Session

from .envelopes import KiwoomError
from .market import SyntheticMarket, to_kst
from .prices import rate, sign_code, signed, signed_price
from .venues import find_venue, venue_book, venue_quote

GROUP_ITEMS = 100
MAX_GROUPS = 20
#: Items per REAL frame: a push of many codes goes out as several frames of at most this many.
FRAME_ITEMS = 100
MARKET_OPERATION = "0s"

#: Real types the fake pushes, with their Korean names as the live server sends them.
SUPPORTED_TYPES: dict[str, str] = {"0B": "주식체결", "0D": "주식호가잔량", MARKET_OPERATION: "장시작시간"}
#: Types Kiwoom documents that the fake does not push yet (registering one is an error here).
KNOWN_TYPES = frozenset({"00", "04", "0A", "0B", "0C", "0D", "0E", "0F", "0G", "0H", "0J", "0U", "0g", "0m", "0s"})
KNOWN_TYPES |= frozenset({"0u", "0w", "1h"})

Frame = dict[str, object]

#: What the live server says before it closes a socket whose client stopped echoing PINGs.
PING_TIMEOUT_FRAME: Frame = {
    "trnm": "SYSTEM",
    "code": "R10002",
    "message": "사용자 프로그램으로부터 Heartbeat(연결유지) 메시지가 오지않아서 접속을 종료합니다",
}


def error_frame(trnm: str, error: KiwoomError) -> Frame:
    return {"trnm": trnm, **error.body}


def ok_frame(trnm: str, msg: str = "") -> Frame:
    return {"trnm": trnm, "return_code": 0, "return_msg": msg}


@dataclass(frozen=True, slots=True)
class RegRequest:
    trnm: str
    grp_no: str
    refresh: bool
    pairs: tuple[tuple[str, str], ...]  # (type, item)


def _strings(value: object, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KiwoomError(1517, f"{name} 값은 문자열 배열이어야 합니다")
    return [v.strip() for v in value]


def parse_reg(frame: dict[str, object]) -> RegRequest:
    """A REG/REMOVE frame checked field by field; raises the envelope's :class:`KiwoomError`."""
    trnm = str(frame.get("trnm", ""))
    grp_no = frame.get("grp_no")
    if not isinstance(grp_no, str | int) or not str(grp_no).strip():
        raise KiwoomError(1511, "필수입력 파라미터=grp_no")
    refresh = str(frame.get("refresh", "1")).strip() or "1"
    if refresh not in ("0", "1"):
        raise KiwoomError(1517, f"refresh={refresh}")
    data = frame.get("data")
    if not isinstance(data, list) or not data:
        raise KiwoomError(1511, "필수입력 파라미터=data")
    pairs: list[tuple[str, str]] = []
    for block in data:
        if not isinstance(block, dict):
            raise KiwoomError(1517, "data 항목은 객체여야 합니다")
        types = _strings(block.get("type"), "type")
        raw_items = block.get("item")
        items = [] if raw_items is None or raw_items == "" else _strings(raw_items, "item")
        if not types:
            raise KiwoomError(1511, "필수입력 파라미터=type")
        for kind in types:
            if kind not in KNOWN_TYPES:
                raise KiwoomError(1517, f"실시간 항목이 존재하지 않습니다. type={kind}")
            if kind not in SUPPORTED_TYPES:
                raise KiwoomError(1517, f"이 서버에서 지원하지 않는 실시간 항목입니다. type={kind}")
            if kind == MARKET_OPERATION:  # market-wide: one pair, whatever the items
                pairs.append((kind, ""))
                continue
            if not items:
                raise KiwoomError(1511, "필수입력 파라미터=item")
            for item in items:
                if trnm == "REG" and find_venue(item) is None:
                    raise KiwoomError(1902, f"종목코드={item}")
                pairs.append((kind, item))
    return RegRequest(trnm, str(grp_no).strip(), refresh == "1", tuple(dict.fromkeys(pairs)))


@dataclass
class Registrations:
    """One connection's registrations: ``grp_no`` → ordered (type, item) pairs."""

    group_items: int = GROUP_ITEMS
    max_groups: int = MAX_GROUPS
    groups: dict[str, dict[tuple[str, str], None]] = field(default_factory=dict)

    def items(self) -> set[str]:
        return {item for group in self.groups.values() for _, item in group}

    def pairs(self) -> list[tuple[str, str]]:
        """Every registered pair once, in registration order (a pair in two groups pushes once)."""
        return list(dict.fromkeys(pair for group in self.groups.values() for pair in group))

    def has(self, pair: tuple[str, str]) -> bool:
        return any(pair in group for group in self.groups.values())

    def apply(self, req: RegRequest) -> None:
        """Register (``refresh`` false replaces the group's pairs) or remove; all or nothing."""
        if req.trnm == "REMOVE":
            group = self.groups.get(req.grp_no, {})
            for pair in req.pairs:
                group.pop(pair, None)
            if not group:
                self.groups.pop(req.grp_no, None)
            return
        current = dict(self.groups.get(req.grp_no, {})) if req.refresh else {}
        current.update(dict.fromkeys(req.pairs))
        count = len({item for _, item in current})
        if count > self.group_items:
            limit = f"그룹당 최대={self.group_items}, grp_no={req.grp_no}, 요청={count}"
            raise KiwoomError(1517, f"실시간 등록 가능한 종목 수를 초과했습니다. {limit}")
        if req.grp_no not in self.groups and len(self.groups) >= self.max_groups:
            raise KiwoomError(1517, f"실시간 등록 가능한 그룹 수를 초과했습니다. 최대={self.max_groups}")
        self.groups[req.grp_no] = current


def _hhmmss(now: float) -> str:
    kst: datetime = to_kst(now)
    return kst.strftime("%H%M%S")


@dataclass
class TickMemory:
    """Per-connection memory of the last cumulative volume pushed per item, for field 15."""

    volumes: dict[str, tuple[int, int]] = field(default_factory=dict)  # item -> (volume, price)


def values_0b(market: SyntheticMarket, item: str, now: float, memory: TickMemory) -> dict[str, str]:
    """주식체결 from the quote ka10001 shows at ``now`` (same price, change, rate, volume)."""
    found = find_venue(item)
    assert found is not None  # checked at REG
    listing, suffix = found
    q = venue_quote(market.quote(listing.code, now), suffix)
    book = venue_book(market.order_book(listing.code, now), listing, suffix)
    p = q.prev_close
    last_volume, last_price = memory.volumes.get(item, (q.volume, q.price))
    memory.volumes[item] = (q.volume, q.price)
    traded = max(q.volume - last_volume, 0)
    strength = book.total_bid / book.total_ask * 100 if book.total_ask else 0.0
    return {
        "20": _hhmmss(now),
        "10": signed_price(q.price, p),
        "11": signed(q.change),
        "12": rate(q.change_rate),
        "27": signed_price(book.asks[0][0], p),
        "28": signed_price(book.bids[0][0], p),
        "15": f"-{traded}" if q.price < last_price else f"+{traded}",
        "13": str(q.volume),
        "14": str(q.value // 1_000_000),
        "16": signed_price(q.open, p),
        "17": signed_price(q.high, p),
        "18": signed_price(q.low, p),
        "25": sign_code(q.price, p, q.lower, q.upper),
        "228": f"{strength:.2f}",
    }


def values_0d(market: SyntheticMarket, item: str, now: float) -> dict[str, str]:
    """주식호가잔량 from the order book ka10004 shows at ``now``."""
    found = find_venue(item)
    assert found is not None
    listing, suffix = found
    q = market.quote(listing.code, now)
    book = venue_book(market.order_book(listing.code, now), listing, suffix)
    values = {"21": _hhmmss(now)}
    for i, ((ask, ask_qty), (bid, bid_qty)) in enumerate(zip(book.asks, book.bids, strict=True)):
        values[str(41 + i)] = signed_price(ask, q.prev_close)
        values[str(61 + i)] = str(ask_qty)
        values[str(51 + i)] = signed_price(bid, q.prev_close)
        values[str(71 + i)] = str(bid_qty)
    values["121"] = str(book.total_ask)
    values["125"] = str(book.total_bid)
    return values


def tick_items(market: SyntheticMarket, pairs: list[tuple[str, str]], now: float, memory: TickMemory) -> list[Frame]:
    """One REAL data item per registered ``0B``/``0D`` pair at ``now`` (``0s`` is pushed apart)."""
    data: list[Frame] = []
    for kind, item in pairs:
        if kind == MARKET_OPERATION:
            continue
        values = values_0b(market, item, now, memory) if kind == "0B" else values_0d(market, item, now)
        data.append({"type": kind, "name": SUPPORTED_TYPES[kind], "item": item, "values": values})
    return data


def real_frames(items: list[Frame], frame_items: int = FRAME_ITEMS) -> list[Frame]:
    """``items`` as REAL frames of at most ``frame_items`` each (none when there is nothing to push)."""
    size = max(frame_items, 1)
    return [{"trnm": "REAL", "data": items[i : i + size]} for i in range(0, len(items), size)]


# --- 0s 장시작시간 ---------------------------------------------------------------------

#: KRX 장운영구분 (field 215) per krx session; the closed gaps are "4" (15:30-15:40) and "d".
SESSION_CODES: dict[Session, str] = {
    Session.PRE_MARKET_CLOSE_PRICE: "0",
    Session.OPENING_AUCTION: "0",
    Session.REGULAR: "3",
    Session.CLOSING_AUCTION: "2",
    Session.AFTER_HOURS_CLOSE_PRICE: "a",
    Session.AFTER_HOURS_SINGLE_PRICE: "c",
}
CLOSED_AFTER_REGULAR = "4"
CLOSED_FOR_THE_DAY = "d"


def _phases() -> list[tuple[time, str]]:
    """(start, code) of a trading day's operation phases, from ``krx.calendar.SESSION_TABLE``."""
    marks = [(start, SESSION_CODES[session]) for start, _, session in SESSION_TABLE]
    marks += [(REGULAR_CLOSE, CLOSED_AFTER_REGULAR), (SESSION_TABLE[-1][1], CLOSED_FOR_THE_DAY)]
    phases: list[tuple[time, str]] = []
    for start, code in sorted(marks):
        if not phases or phases[-1][1] != code:
            phases.append((start, code))
    return phases


PHASES = _phases()


def market_operation(calendar: KrxCalendar, now: float) -> tuple[str, str]:
    """(215 operation code, 20 HHMMSS it was announced) at ``now``, from the KRX calendar.

    The announcement time is the start of the current phase, so a change noticed one push
    interval late still reports when it happened. Before 08:30 and on days without trading
    the last announcement is the previous trading day's ``d`` at 18:00.
    """
    kst = to_kst(now)
    if calendar.is_trading_day(kst.date()):
        current = [(start, code) for start, code in PHASES if start <= kst.time()]
        if current:
            start, code = current[-1]
            return code, start.strftime("%H%M%S")
    return CLOSED_FOR_THE_DAY, PHASES[-1][0].strftime("%H%M%S")


def operation_item(calendar: KrxCalendar, now: float) -> Frame:
    """The ``0s`` REAL item: 215 code, 20 announcement time, 214 time left to the 09:00 open.

    214 counts down on a trading day before the open and is ``000000`` otherwise.
    """
    code, announced = market_operation(calendar, now)
    kst = to_kst(now)
    left = "000000"
    if calendar.is_trading_day(kst.date()) and kst.time() < REGULAR_OPEN:
        seconds = int((datetime.combine(kst.date(), REGULAR_OPEN, tzinfo=kst.tzinfo) - kst).total_seconds())
        left = f"{seconds // 3600:02d}{seconds % 3600 // 60:02d}{seconds % 60:02d}"
    values = {"215": code, "20": announced, "214": left}
    return {"type": MARKET_OPERATION, "name": SUPPORTED_TYPES[MARKET_OPERATION], "item": "", "values": values}
