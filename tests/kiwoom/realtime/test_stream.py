"""RealtimeStream against the fake's WebSocket in-process: login, batching, PINGs, reconnects, gaps."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from fake_kiwoom.websocket import WsSettings
from kiwoom.realtime.stream import StreamConfig
from kiwoom.realtime.ticks import ORDERBOOK, QUOTE, Tick, quote_of
from tests.support.streams import stream_rig, until

pytestmark = pytest.mark.anyio


async def test_wants_within_the_gather_window_go_out_as_one_reg() -> None:
    async with stream_rig() as rig, rig.stream() as stream:
        for code in ("005930", "000660", "035420"):
            await stream.want([(QUOTE, code)])
        await stream.want([(ORDERBOOK, "005930")])
        await until(lambda: stream.status().state == "up" and len(stream.registry.registered) == 4)
        await asyncio.sleep(0.05)
        regs = rig.journal("REG")
        assert len(regs) == 1
        assert rig.events.of("reg")[0]["items"] == ["005930", "000660", "035420", "005930"]


async def test_ticks_carry_the_rest_quote_names_and_the_fake_market_price() -> None:
    async with stream_rig() as rig, rig.stream() as stream:
        await stream.want([(QUOTE, "005930")])
        await until(lambda: stream.latest((QUOTE, "005930")) is not None)
        tick = stream.latest((QUOTE, "005930"))
        assert tick is not None
        assert tick.origin == "stream"
        reply = await rig.http.post(
            "/api/dostk/stkinfo",
            headers={"api-id": "ka10001", "authorization": f"Bearer {await rig.tokens.token()}"},
            json={"stk_cd": "005930"},
        )
        assert quote_of(tick)["price"] == abs(int(reply.json()["cur_prc"]))
        assert quote_of(tick)["stock_code"] == "005930"


async def test_pings_are_echoed_so_the_server_keeps_the_socket() -> None:
    async with stream_rig() as rig, rig.stream() as stream:
        await stream.want([(QUOTE, "005930")])
        await until(lambda: len(rig.journal("PING")) >= 4)
        assert rig.connector.attempts == 1
        assert "disconnect" not in rig.events.names()


async def test_a_dropped_socket_reconnects_resubscribes_and_backfills_over_rest() -> None:
    filled: list[list[str]] = []

    async def backfill(codes: list[str]) -> Mapping[str, Mapping[str, str]]:
        filled.append(codes)
        return {code: {"10": "+70000", "13": "1"} for code in codes}

    async with stream_rig(refuse=0) as rig:
        # Pushes far apart, so the backfill lands before the first pushed tick of the new connection.
        stream = rig.stream(backfill=backfill)
        async with stream:
            await stream.want([(QUOTE, "005930"), (QUOTE, "000660"), (ORDERBOOK, "005930")])
            await until(lambda: stream.latest((QUOTE, "000660")) is not None)
            rig.connector.connections[0].cut()
            await until(lambda: len(rig.journal("REG")) >= 2 and stream.status().state == "up")
            second = rig.events.of("reg")[-1]["items"]
            assert isinstance(second, list)
            assert sorted(second) == sorted(["005930", "000660", "005930"])
            await until(lambda: bool(rig.events.of("backfill")))
        assert filled == [["005930", "000660"]]
        assert rig.events.of("gap")[0]["codes"] == ["005930", "000660"]
        assert len(rig.journal("LOGIN")) == 2
        assert stream.status().reconnects == 1


async def test_backfill_never_replaces_a_tick_the_new_connection_already_pushed() -> None:
    release = asyncio.Event()

    async def slow_backfill(codes: list[str]) -> Mapping[str, Mapping[str, str]]:
        await release.wait()
        return {code: {"10": "+1", "13": "1"} for code in codes}

    async with stream_rig() as rig, rig.stream(backfill=slow_backfill) as stream:
        await stream.want([(QUOTE, "005930")])
        await until(lambda: stream.latest((QUOTE, "005930")) is not None)
        rig.connector.connections[0].cut()
        await until(lambda: len(rig.connector.connections) == 2 and stream.status().state == "up")
        before = stream.status().since or 0.0
        await until(lambda: (stream.latest((QUOTE, "005930")) or _old()).received_at >= before)
        release.set()
        await until(lambda: bool(rig.events.of("backfill")))
        assert rig.events.of("backfill")[0]["codes"] == []
        latest = stream.latest((QUOTE, "005930"))
        assert latest is not None
        assert latest.origin == "stream"


def _old() -> Tick:
    return Tick(QUOTE, "", {}, 0.0)


async def test_a_silent_socket_is_closed_by_the_watchdog_and_replaced() -> None:
    patient = WsSettings(ping_interval_s=30.0, push_interval_s=0.02)  # the server would wait for PINGs for long
    async with stream_rig(patient) as rig, rig.stream() as stream:
        await stream.want([(QUOTE, "005930")])
        await until(lambda: stream.latest((QUOTE, "005930")) is not None)
        rig.connector.connections[0].stalled = True
        await until(lambda: bool(rig.events.of("watchdog")), timeout_s=3.0)
        await until(lambda: len(rig.connector.connections) == 2 and len(rig.journal("REG")) == 2)


async def test_a_refused_login_gets_a_fresh_token_and_logs_in_again() -> None:
    async with stream_rig() as rig, rig.stream() as stream:
        await stream.want([(QUOTE, "005930")])
        await until(lambda: stream.status().state == "up")
        first = await rig.tokens.token()
        rig.app.state.fake.tokens.clear()  # the server forgets every token (as when a key issues one elsewhere)
        rig.connector.connections[0].cut()
        await until(lambda: len(rig.connector.connections) >= 3 and stream.status().state == "up")
        assert rig.events.of("login_failed")[0]["detail_code"] == 8005
        assert rig.tokens.rejections == 1
        assert rig.tokens.issued == 2
        assert await rig.tokens.token() != first


async def test_reconnect_waits_back_off_with_full_jitter_up_to_the_cap() -> None:
    waits: list[float] = []

    async def record(delay: float) -> None:
        waits.append(delay)
        await asyncio.sleep(0)

    config = StreamConfig(backoff_base_s=0.25, backoff_max_s=2.0)
    async with stream_rig(refuse=6) as rig:
        stream = rig.stream(config=config, sleep=record, rand=lambda: 1.0)
        async with stream:
            await until(lambda: len(waits) >= 6)
    assert waits[:6] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]


async def test_a_slow_consumer_holds_one_tick_per_pair_at_most() -> None:
    codes = ["005930", "000660", "035420", "005380"]
    async with stream_rig() as rig, rig.stream() as stream:
        await stream.want([(QUOTE, code) for code in codes])
        ticks = aiter(stream)
        await anext(ticks)  # a consumer that read once, then fell asleep
        await until(lambda: stream.book.counters.accepted >= 40)
        assert len(stream.book.pending) <= len(codes)
        assert stream.book.counters.conflated > 0
        seen = {(await anext(ticks)).item for _ in range(len(stream.book.pending))}
        assert seen <= set(codes)


async def test_a_listener_only_stream_keeps_no_unread_ticks() -> None:
    async with stream_rig() as rig, rig.stream() as stream:
        heard: list[Tick] = []
        stream.add_listener(heard.append)
        await stream.want([(QUOTE, "005930"), (QUOTE, "000660")])
        await until(lambda: len(heard) >= 6)
        assert stream.book.pending == {}
        assert stream.latest((QUOTE, "005930")) is not None


async def test_an_unknown_code_is_dropped_and_the_rest_of_its_group_registered() -> None:
    async with stream_rig() as rig, rig.stream() as stream:
        await stream.want([(QUOTE, "005930"), (QUOTE, "999999")])
        await until(lambda: stream.latest((QUOTE, "005930")) is not None)
        assert rig.events.of("rejected") == [{"items": ["999999"]}]
        assert stream.wanted() == frozenset({(QUOTE, "005930")})
        assert len(rig.journal("REG")) == 2


async def test_dropping_a_pair_removes_it_upstream_and_forgets_its_ticks() -> None:
    async with stream_rig() as rig, rig.stream() as stream:
        await stream.want([(QUOTE, "005930"), (QUOTE, "000660")])
        await until(lambda: stream.latest((QUOTE, "000660")) is not None)
        await stream.drop([(QUOTE, "000660")])
        await until(lambda: len(rig.journal("REMOVE")) == 1)
        assert stream.latest((QUOTE, "000660")) is None
        assert stream.wanted() == frozenset({(QUOTE, "005930")})
        count = stream.book.counters.accepted
        await until(lambda: stream.book.counters.accepted >= count + 3)
        assert stream.latest((QUOTE, "000660")) is None


async def test_stop_closes_the_socket_and_reports_stopped() -> None:
    async with stream_rig() as rig:
        stream = rig.stream()
        await stream.start()
        await until(lambda: stream.status().state == "up")
        await stream.stop()
        assert stream.status().state == "stopped"


async def test_an_iterating_consumer_ends_when_the_stream_stops() -> None:
    async with stream_rig() as rig:
        stream = rig.stream()
        await stream.start()
        await stream.want([(QUOTE, "005930")])
        seen: list[Tick] = []

        async def consume() -> None:
            async for tick in stream:
                seen.append(tick)

        consumer = asyncio.create_task(consume())
        await until(lambda: len(seen) >= 2)
        await stream.stop()
        await asyncio.wait_for(consumer, 2.0)
        assert stream.book.pending == {}
