"""The stream's bookkeeping without a socket: REG batching by group, order checks, conflation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiwoom.realtime.buffer import TickBook
from kiwoom.realtime.registry import Registry
from kiwoom.realtime.ticks import MARKET_OPERATION, ORDERBOOK, QUOTE, Tick, market_operation_of, orderbook_of, quote_of

NOON = 1_764_123_450.0  # 2025-11-26 11:17:30 KST


def _quote(code: str, volume: int, hhmmss: str = "111730", price: str = "-70000", at: float = NOON) -> Tick:
    return Tick(QUOTE, code, {"10": price, "13": str(volume), "20": hhmmss}, at)


def test_codes_are_packed_into_groups_of_the_group_size() -> None:
    registry = Registry(group_size=100)
    registry.want((QUOTE, f"{n:06d}") for n in range(250))
    requests = registry.changes()
    assert [(r.verb, r.grp_no, len(r.pairs)) for r in requests] == [
        ("REG", "1", 100),
        ("REG", "2", 100),
        ("REG", "3", 50),
    ]


def test_one_frame_per_group_carries_each_type_as_its_own_block() -> None:
    registry = Registry()
    registry.want([(QUOTE, "005930"), (ORDERBOOK, "005930"), (QUOTE, "000660")])
    (request,) = registry.changes()
    assert request.frame() == {
        "trnm": "REG",
        "grp_no": "1",
        "refresh": "1",
        "data": [{"item": ["005930", "000660"], "type": ["0B"]}, {"item": ["005930"], "type": ["0D"]}],
    }


def test_changes_remove_dropped_pairs_before_registering_new_ones() -> None:
    registry = Registry()
    registry.want([(QUOTE, "005930"), (QUOTE, "000660")])
    registry.changes()
    registry.drop([(QUOTE, "000660")])
    registry.want([(QUOTE, "035420")])
    verbs = [(r.verb, r.pairs) for r in registry.changes()]
    assert verbs == [("REMOVE", ((QUOTE, "000660"),)), ("REG", ((QUOTE, "035420"),))]
    assert registry.changes() == []


def test_a_refused_reg_is_asked_again_by_the_next_changes() -> None:
    registry = Registry()
    registry.want([(QUOTE, "005930")])
    (request,) = registry.changes()
    registry.refused(request)
    assert [r.pairs for r in registry.changes()] == [((QUOTE, "005930"),)]


def test_a_new_connection_registers_everything_again() -> None:
    registry = Registry()
    registry.want([(QUOTE, "005930"), (MARKET_OPERATION, "")])
    registry.changes()
    registry.disconnected()
    assert len(registry.changes()[0].pairs) == 2


@given(st.lists(st.integers(min_value=0, max_value=999), min_size=1, max_size=400), st.integers(1, 120))
def test_no_group_ever_exceeds_the_group_size(codes: list[int], size: int) -> None:
    registry = Registry(group_size=size)
    registry.want((QUOTE, f"{n:06d}") for n in codes)
    for request in registry.changes():
        assert len({item for _, item in request.pairs}) <= size


def test_a_repeated_tick_is_a_duplicate_and_an_older_one_out_of_order() -> None:
    book = TickBook()
    assert book.offer(_quote("005930", 100, "111730")) == "accepted"
    assert book.offer(_quote("005930", 100, "111730")) == "duplicate"
    assert book.offer(_quote("005930", 90, "111729", price="-69900")) == "out_of_order"
    assert book.offer(_quote("005930", 120, "111731")) == "accepted"
    assert (book.counters.duplicates, book.counters.out_of_order, book.counters.accepted) == (1, 1, 2)


def test_a_new_trading_day_starts_the_order_again() -> None:
    book = TickBook()
    book.offer(_quote("005930", 5000, "151959"))
    assert book.offer(_quote("005930", 10, "090001", at=NOON + 86_400)) == "accepted"


@given(st.lists(st.tuples(st.sampled_from(["005930", "000660", "035420"]), st.integers(0, 10_000)), max_size=300))
def test_the_buffer_holds_at_most_one_unread_tick_per_pair(pushes: list[tuple[str, int]]) -> None:
    book = TickBook()
    for code, volume in pushes:
        book.offer(_quote(code, volume, f"{volume % 60:06d}"))
    assert len(book.pending) <= 3
    for key, tick in book.pending.items():
        assert book.latest[key] is tick


def test_the_buffer_evicts_the_oldest_pair_beyond_its_bound() -> None:
    book = TickBook(max_pairs=2)
    for code in ("A", "B", "C"):
        book.offer(_quote(code, 1))
    assert list(book.pending) == [(QUOTE, "B"), (QUOTE, "C")]
    assert book.counters.evicted == 1


def test_ticks_decode_to_the_rest_names() -> None:
    values = {"10": "-78800", "11": "-200", "12": "-0.25", "13": "1234", "15": "-5", "25": "5", "20": "093015"}
    quote = quote_of(Tick(QUOTE, "005930", values, NOON))
    assert (quote["price"], quote["change"], quote["change_rate"], quote["sign"]) == (78800, -200, -0.25, "down")
    assert (quote["last_trade_quantity"], quote["last_trade_side"]) == (5, "sell")
    assert quote["trade_time"] == "2025-11-26T09:30:15+09:00"
    book = orderbook_of(Tick(ORDERBOOK, "005930", {"41": "+78900", "61": "10", "51": "-78800", "71": "7"}, NOON))
    assert book["asks"] == [{"level": 1, "price": 78900, "quantity": 10}]
    assert book["bids"] == [{"level": 1, "price": 78800, "quantity": 7}]
    status = market_operation_of(Tick(MARKET_OPERATION, "", {"215": "3", "20": "090000"}, NOON))
    assert status["operation_code"] == "3"
    assert status["operation"] == "KRX 정규장 시작"
