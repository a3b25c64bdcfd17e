"""Stream faults on one WebSocket connection, and the counts every connection shares.

The scenario's ``stream:`` block (:class:`~fake_kiwoom.scenario_stream.StreamFaults`)
is read once per connection, at LOGIN: the engine decides whether this connection is one
of the session's faulty ones (``connections``). From then on :class:`ConnectionFaults`
says what to do, and the connection loop (``websocket.py``) does it:

* :meth:`ConnectionFaults.timeline` lists the timed events (stall, its end, drop, token
  expiry, burst, its end) as offsets from LOGIN. The loop waits for each with the app's
  ``sleep``, so a virtual clock moves through them like through any other wait;
* :meth:`ConnectionFaults.on_real` decides, per REAL frame sent, whether it is repeated,
  followed by the previous (older) frame, or the last before a drop.

:class:`WsStats` counts sockets (open now, the most ever open, connects, LOGINs), so a
test or the bench can assert "exactly one upstream socket" through ``GET
/__admin/websocket``. It lives on the Starlette app (``app.state.ws_stats``), created on
first use, and is not cleared by ``POST /__admin/reset`` (sockets outlive a reset).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.websockets import WebSocket

from .envelopes import json_response
from .scenario_stream import StreamFaults

#: Timed events, in the order they apply when two fall at the same instant.
STALL, STALL_END, BURST, BURST_END, TOKEN_EXPIRY, DROP = "stall", "stall_end", "burst", "burst_end", "token", "drop"
_ORDER = {STALL_END: 0, BURST_END: 1, STALL: 2, BURST: 3, TOKEN_EXPIRY: 4, DROP: 5}


@dataclass(frozen=True, slots=True)
class RealFate:
    """What follows one REAL frame: a repeat, the previous frame again, a drop."""

    duplicate: bool = False
    out_of_order: bool = False
    drop: bool = False


class ConnectionFaults:
    """The faults one connection took at LOGIN (``spec`` ``None``: a healthy connection)."""

    def __init__(self, spec: StreamFaults | None = None) -> None:
        self.spec = spec
        self.stalled = False
        self.bursting = False
        self.real_sent = 0

    @property
    def skip_pings(self) -> bool:
        return self.spec is not None and self.spec.skip_pings

    @property
    def drop_code(self) -> int:
        return self.spec.drop_code if self.spec is not None else 1000

    def burst_factor(self) -> int:
        return self.spec.burst.factor if self.bursting and self.spec and self.spec.burst else 1

    def timeline(self) -> list[tuple[float, str]]:
        """``(seconds after LOGIN, event)``, earliest first."""
        spec = self.spec
        if spec is None:
            return []
        events: list[tuple[float, str]] = []
        if spec.stall_after_s is not None:
            events.append((spec.stall_after_s, STALL))
            if spec.stall_for_s is not None:
                events.append((spec.stall_after_s + spec.stall_for_s, STALL_END))
        if spec.burst is not None:
            events.append((spec.burst.after_s, BURST))
            if spec.burst.for_s is not None:
                events.append((spec.burst.after_s + spec.burst.for_s, BURST_END))
        if spec.token_expires_after_s is not None:
            events.append((spec.token_expires_after_s, TOKEN_EXPIRY))
        if spec.drop_after_s is not None:
            events.append((spec.drop_after_s, DROP))
        return sorted(events, key=lambda event: (event[0], _ORDER[event[1]]))

    def on_real(self) -> RealFate:
        """Count one REAL frame sent (repeats are not counted) and say what follows it."""
        self.real_sent += 1
        spec, n = self.spec, self.real_sent
        if spec is None:
            return RealFate()
        return RealFate(
            duplicate=spec.duplicate_every is not None and n % spec.duplicate_every == 0,
            out_of_order=spec.out_of_order_every is not None and n % spec.out_of_order_every == 0,
            drop=spec.drop_after_messages is not None and n >= spec.drop_after_messages,
        )


@dataclass
class WsStats:
    """Sockets of one fake: ``open`` now, ``peak_open``, and totals since the app started."""

    open: int = 0
    peak_open: int = 0
    connects: int = 0
    logins: int = 0
    login_failures: int = 0
    #: How connections ended, by close code (1006: dropped without a close frame).
    closes: Counter[int] = field(default_factory=Counter)

    def opened(self) -> None:
        self.open += 1
        self.connects += 1
        self.peak_open = max(self.peak_open, self.open)

    def closed(self, code: int) -> None:
        self.open -= 1
        self.closes[code] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "open": self.open,
            "peak_open": self.peak_open,
            "connects": self.connects,
            "logins": self.logins,
            "login_failures": self.login_failures,
            "closes": {str(code): n for code, n in sorted(self.closes.items())},
        }


def ws_stats(app_state: Any) -> WsStats:
    """The app's :class:`WsStats` (``app.state.ws_stats``), created on first use."""
    stats = getattr(app_state, "ws_stats", None)
    if not isinstance(stats, WsStats):
        stats = WsStats()
        app_state.ws_stats = stats
    return stats


async def abort(ws: WebSocket) -> bool:
    """Reset the TCP connection under ``ws`` (no close frame: the client sees 1006).

    The transport is reached through the server's ``receive`` (a bound method of uvicorn's
    protocol, as in ``faults.py``); in process there is none and ``False`` is returned.
    """
    receive = getattr(ws, "_receive", None)
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.BaseTransport):
        return False
    if isinstance(transport, asyncio.WriteTransport):
        transport.abort()
    else:
        transport.close()
    for _ in range(3):  # let the server notice before the app returns
        await asyncio.sleep(0)
    return True


async def get_websocket_stats(request: Request) -> Response:
    """``GET /__admin/websocket``: sockets open now, the peak, connects, LOGINs and closes by code."""
    return json_response(ws_stats(request.app.state).as_dict())


def ws_admin_routes() -> list[Route]:
    """Read-only admin routes of the WebSocket, for ``create_app`` to mount next to ``admin_routes()``."""
    return [Route("/__admin/websocket", get_websocket_stats, methods=["GET"])]
