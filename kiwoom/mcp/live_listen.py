"""``subscriptions/listen`` (MCP 2026-07-28) for the live resources, conflating per stream.

The SDK's :class:`~mcp.server.subscriptions.ListenHandler` buffers up to 1,024 events per
stream and ends a stream whose client falls that far behind: at a thousand ticks a
second that is one second of a slow client. This handler keeps the SDK's wire contract
(the acknowledgment first, every frame stamped with the listen request's id under
``_meta``, only the kinds and URIs the client asked for, a graceful result at close) but
holds at most one pending event per URI per stream (:class:`~kiwoom.mcp.live_resources.Pending`),
so a slow client gets the latest "changed" signal late, never a backlog, and is never cut.

It also does what the SDK's cannot: the live URIs a stream asks for are checked (only valid
URIs of codes Kiwoom knows are honored, and the acknowledgment says which) and held in the
hub for the life of the stream, so the codes are subscribed upstream while someone listens.
A resource's event carries, beside the request id, when its latest tick arrived
(:data:`~kiwoom.mcp.live_resources.RECEIVED_AT_META_KEY`).
"""

from __future__ import annotations

import logging
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.subscriptions import ResourceUpdated, SubscriptionBus
from mcp.shared.exceptions import MCPError
from mcp.shared.subscriptions import SUBSCRIPTION_ID_META_KEY, event_matches, event_to_notification

from kiwoom.errors import InvalidInputError
from kiwoom.mcp.live_resources import Pending, UpdateFanOut, pair_of
from kiwoom.realtime.feed import Pair

logger = logging.getLogger("kiwoom.server")

#: Open listen streams per process, as the SDK's handler bounds them by default.
MAX_STREAMS = 1024


def honored(requested: types.SubscriptionFilter) -> tuple[types.SubscriptionFilter, dict[str, Pair]]:
    """What will be delivered (list-change kinds as asked; only valid live URIs), and the URIs' pairs."""
    pairs: dict[str, Pair] = {}
    for uri in requested.resource_subscriptions or ():
        try:
            pairs[uri] = pair_of(uri)
        except InvalidInputError:
            logger.debug("listen: 알 수 없는 리소스 URI는 제외: %s", uri[:80])
    return (
        types.SubscriptionFilter(
            tools_list_changed=True if requested.tools_list_changed else None,
            prompts_list_changed=True if requested.prompts_list_changed else None,
            resources_list_changed=True if requested.resources_list_changed else None,
            resource_subscriptions=list(pairs) or None,
        ),
        pairs,
    )


class LiveListen:
    """The ``subscriptions/listen`` request handler: one call is one stream, until the client leaves."""

    def __init__(self, bus: SubscriptionBus, fanout: UpdateFanOut, *, max_streams: int = MAX_STREAMS) -> None:
        self._bus = bus
        self._fanout = fanout
        self._max_streams = max_streams
        self._streams: set[Pending] = set()

    def streams(self) -> int:
        return len(self._streams)

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], params: types.SubscriptionsListenRequestParams
    ) -> types.SubscriptionsListenResult:
        subscription_id = ctx.request_id
        if subscription_id is None:
            raise MCPError(types.INVALID_REQUEST, "subscriptions/listen requires a request id")
        if len(self._streams) >= self._max_streams:
            raise MCPError(types.INTERNAL_ERROR, "Subscription limit reached")
        accepted, valid = honored(params.notifications)
        pairs = {uri: pair for uri, pair in valid.items() if await self._fanout.admit(uri, pair)}
        if len(pairs) < len(valid):
            accepted = accepted.model_copy(update={"resource_subscriptions": list(pairs) or None})
        uris = frozenset(pairs)
        meta: dict[str, Any] = {SUBSCRIPTION_ID_META_KEY: subscription_id}
        pending = Pending()
        unsubscribe = self._bus.subscribe(
            lambda event: pending.add(event) if event_matches(accepted, uris, event) else None
        )
        self._streams.add(pending)
        watched: list[tuple[str, Pair]] = []
        try:
            for uri, pair in pairs.items():
                await self._fanout.watch(uri, pair)
                watched.append((uri, pair))
            acknowledged = types.SubscriptionsAcknowledgedNotification(
                params=types.SubscriptionsAcknowledgedNotificationParams(notifications=accepted, _meta=meta)
            )
            await ctx.session.send_notification(acknowledged, related_request_id=subscription_id)
            while (event := await pending.next()) is not None:
                stamped = meta | self._fanout.meta(event.uri) if isinstance(event, ResourceUpdated) else meta
                await ctx.session.send_notification(
                    event_to_notification(event, stamped), related_request_id=subscription_id
                )
        finally:
            # Synchronous from here on: a cancelled stream (the client left) must still release its pairs.
            unsubscribe()
            self._streams.discard(pending)
            pending.close()
            for uri, pair in watched:
                self._fanout.unwatch(uri, pair)
        return types.SubscriptionsListenResult(_meta=meta)

    def close(self) -> None:
        """End every stream gracefully: each sends its result (the spec's deliberate close) and releases its pairs."""
        for pending in list(self._streams):
            pending.close()
