"""Live resource subscriptions over real HTTP with the official MCP SDK client, in both protocol eras.

Handshake era (``mode="legacy"``): ``resources/subscribe`` → ``notifications/resources/updated``
on the session's stream, through ``message_handler``. 2026-07-28 (the client's default):
``subscriptions/listen`` with the resource URIs → ``ResourceUpdated`` events. In both, the
subscription holds the code in the hub (subscribed upstream) and leaving releases it.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import anyio
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.session import IncomingMessage
from mcp.client.subscriptions import ResourceUpdated
from mcp.shared.exceptions import MCPError

from kiwoom import KiwoomClient, Settings
from kiwoom.mcp import KiwoomMCPServer, ServerSettings
from kiwoom.mcp.http_app import build_http_app
from kiwoom.realtime.ticks import ORDERBOOK, QUOTE
from kiwoom_lab.loopback import serve
from tests.support.feeds import ScriptedFeed
from tests.support.streams import until

pytestmark = [pytest.mark.socket, pytest.mark.anyio]

QUOTE_URI = "kiwoom://quote/005930"
BOOK_URI = "kiwoom://orderbook/000660"


@dataclass
class Live:
    url: str
    server: KiwoomMCPServer
    feed: ScriptedFeed


@pytest.fixture
def live() -> Iterator[Live]:
    """The sandbox server on a port, its stream a feed that ticks every 20 ms."""
    feed = ScriptedFeed(time.time, tick_every_s=0.02)
    client = KiwoomClient(Settings(_env_file=None, page_delay_s=0, stream_first_tick_wait_s=0.5))
    server = KiwoomMCPServer(client, feed=feed)
    with serve(build_http_app(server, ServerSettings(_env_file=None))) as url:
        yield Live(f"{url}/mcp", server, feed)


async def released(live: Live) -> None:
    """Wait until nothing holds a pair (the server runs in its own thread, so poll)."""
    await until(lambda: not live.server.live_hub.held())


async def test_legacy_subscribe_gets_updated_notifications(live: Live) -> None:
    updated: list[str] = []

    async def on_message(message: IncomingMessage) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            updated.append(str(message.params.uri))

    async with Client(live.url, mode="legacy", message_handler=on_message) as client:
        capabilities = client.server_capabilities
        assert capabilities.resources is not None
        assert capabilities.resources.subscribe is True
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # subscribe_resource is deprecated for 2026-07-28, current here
            await client.subscribe_resource(QUOTE_URI)
            await client.subscribe_resource(BOOK_URI)
            assert live.server.live_hub.held() == {(QUOTE, "005930"), (ORDERBOOK, "000660")}
            await until(lambda: {QUOTE_URI, BOOK_URI} <= set(updated))
            read = await client.read_resource(QUOTE_URI)
            await client.unsubscribe_resource(BOOK_URI)
            assert live.server.live_hub.held() == {(QUOTE, "005930")}
            with pytest.raises(MCPError, match="uri"):
                await client.subscribe_resource("kiwoom://quote/A005930")
            with pytest.raises(MCPError, match="종목이 없습니다"):  # REG of it would be refused, group and all
                await client.subscribe_resource("kiwoom://quote/999999")
    envelope = json.loads(getattr(read.contents[0], "text", ""))
    assert envelope["success"] is True
    assert envelope["data"]["source"] == "stream"
    assert envelope["data"]["simulated"] is True
    assert "시뮬레이션" in envelope["message"]
    await released(live)  # the session's end released what it still held
    assert live.server.legacy_subscriptions.sessions() == 0


async def test_listen_gets_resource_updated_events(live: Live) -> None:
    async with Client(live.url) as client:
        assert client.protocol_version == "2026-07-28"
        capabilities = client.server_capabilities
        assert capabilities.resources is not None
        assert capabilities.resources.subscribe is True
        async with client.listen(
            resource_subscriptions=[QUOTE_URI, "kiwoom://quote/bad!", "kiwoom://orderbook/999999", "x://y"]
        ) as sub:
            assert sub.honored.resource_subscriptions == [QUOTE_URI]  # only what the server can deliver
            assert live.server.live_hub.held() == {(QUOTE, "005930")}
            with anyio.fail_after(3):
                event = await sub.__anext__()
            assert event == ResourceUpdated(QUOTE_URI)
            read = await client.read_resource(QUOTE_URI)
        await released(live)  # leaving the stream released the code
        assert live.server.listen.streams() == 0
    envelope = json.loads(getattr(read.contents[0], "text", ""))
    assert envelope["data"]["source"] == "stream"
    assert envelope["data"]["stock_code"] == "005930"


async def test_two_eras_share_one_upstream_subscription(live: Live) -> None:
    async with Client(live.url) as modern, Client(live.url, mode="legacy") as legacy:
        async with modern.listen(resource_subscriptions=[QUOTE_URI]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                await legacy.subscribe_resource(QUOTE_URI)
            assert live.server.fanout.watched() == {QUOTE_URI: 2}
        await until(lambda: live.server.fanout.watched() == {QUOTE_URI: 1})
        assert live.server.live_hub.held() == {(QUOTE, "005930")}
    await released(live)
    assert live.feed.wants.count((QUOTE, "005930")) == 1  # wanted upstream once for both
