"""Turn an engine ``Decision`` into what the client actually receives.

Each fault imitates something seen between a client and a real broker API: a proxy's HTML
error page, a Kiwoom error envelope, a successful but empty answer, a body that is not
JSON or is cut short, a server that stops answering, a connection that simply closes.

Two faults need the socket itself, and are written for uvicorn:

* ``drop_connection`` aborts the TCP connection before any response byte, so the client
  sees a transport error (``httpx2.RemoteProtocolError``/``ReadError``), never a status.
  Raising an exception would not do: uvicorn answers an exception with a 500. The
  transport is reached through uvicorn's ``receive`` (a bound method of its request
  cycle, which holds the transport); on any other server, and under ``ASGITransport``
  or Starlette's ``TestClient``, the response raises ``ConnectionDropped`` instead. It
  subclasses ``httpx2.RemoteProtocolError`` so an in-process httpx2 client sees the same
  exception type as over a socket.
* ``truncated_body`` sends the headers with the full ``Content-Length`` and half the bytes,
  then aborts the connection: over a socket the client gets an incomplete read (a
  transport error). In-process there is no connection to cut, so the response completes
  with the short body: HTTP 200 whose JSON cannot be parsed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx2
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .envelopes import JSON_CONTENT_TYPE, OK_MSG, KiwoomError, error_response, json_response
from .scenario_engine import Decision
from .scenario_model import (
    DropConnectionFault,
    EmptyOutputFault,
    HttpStatusFault,
    KiwoomErrorFault,
    MalformedJsonFault,
    TruncatedBodyFault,
)

Sleep = Callable[[float], Awaitable[None]]

_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}

#: Looks like JSON, is not: single quotes, an unquoted key, a bare leading-zero number, a trailing comma.
MALFORMED_BODY = (
    '{"return_code":0,"return_msg":"' + OK_MSG + "\",stk_cd:005930,'cur_prc':'-78800',\"flu_rt\":-0.24,}"
).encode()


class ConnectionDropped(httpx2.RemoteProtocolError):
    """Raised in-process where the fake cannot close a real connection (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__("fake_kiwoom dropped the connection without a response (drop_connection fault)")


@dataclass(frozen=True, slots=True)
class Answer:
    """The fake's normal answer, before any fault reshapes it."""

    payload: dict[str, object]
    status: int
    headers: dict[str, str]
    error: KiwoomError | None = None

    def response(self) -> Response:
        return json_response(self.payload, self.status, self.headers)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What was sent, for the journal. ``status`` is ``None`` when no HTTP response was sent."""

    response: Response
    status: int | None
    error: KiwoomError | None
    #: ``False`` when the client cannot read a Kiwoom envelope (proxy page, bad or cut JSON, no response).
    envelope: bool = True


def _server_transport(receive: Receive) -> asyncio.BaseTransport | None:
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    return transport if isinstance(transport, asyncio.BaseTransport) else None


async def _abort(transport: asyncio.BaseTransport) -> None:
    """Reset the connection, then let the server notice before the app returns (no 500, no log)."""
    if isinstance(transport, asyncio.WriteTransport):
        transport.abort()
    else:
        transport.close()
    for _ in range(3):
        await asyncio.sleep(0)


class DroppedConnection(Response):
    """Sends nothing and closes the connection."""

    def __init__(self) -> None:
        super().__init__(status_code=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport = _server_transport(receive)
        if transport is None:
            raise ConnectionDropped
        await _abort(transport)


class TruncatedResponse(Response):
    """Full ``Content-Length``, part of the body; then the connection closes (where there is one)."""

    def __init__(self, full: Response, keep_fraction: float) -> None:
        body = bytes(full.body)
        super().__init__(content=body, status_code=full.status_code, media_type=JSON_CONTENT_TYPE)
        self.raw_headers = list(full.raw_headers)
        self.keep = max(1, min(len(body) - 1, int(len(body) * keep_fraction)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": bytes(self.body[: self.keep]), "more_body": True})
        transport = _server_transport(receive)
        if transport is None:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        else:
            await _abort(transport)


def proxy_error_page(fault: HttpStatusFault) -> Response:
    """The HTML a reverse proxy sends when the service behind it fails: no JSON, no envelope."""
    title = f"{fault.status} {_REASONS[fault.status]}"
    html = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
    html += "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    headers = {"retry-after": str(fault.retry_after_s)} if fault.retry_after_s is not None else None
    return Response(html, status_code=fault.status, headers=headers, media_type="text/html")


def blank(value: Any) -> Any:
    """Every string blank, every list empty, recursively: the shape of a live "no data" answer."""
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        return {key: blank(item) for key, item in value.items()}
    return value


def _injected_error(fault: KiwoomErrorFault, api_id: str) -> KiwoomError:
    extra = {1700: f"API ID={api_id}", 1999: f"API ID={api_id}"}.get(fault.code, "")
    return KiwoomError(fault.code, extra)


async def deliver(decision: Decision, answer: Callable[[], Answer], *, api_id: str, sleep: Sleep) -> Delivery:
    """Wait out any injected delay, then build the response the decision calls for."""
    if decision.delay_s > 0:
        await sleep(decision.delay_s)
    fault = decision.fault
    headers = {"api-id": api_id, "cont-yn": "N", "next-key": ""}
    if isinstance(fault, HttpStatusFault):
        return Delivery(proxy_error_page(fault), fault.status, None, envelope=False)
    if isinstance(fault, KiwoomErrorFault):
        error = _injected_error(fault, api_id)
        return Delivery(error_response(error, headers), error.status, error)
    if isinstance(fault, MalformedJsonFault):
        malformed = Response(MALFORMED_BODY, 200, headers, JSON_CONTENT_TYPE)
        return Delivery(malformed, 200, None, envelope=False)
    if isinstance(fault, DropConnectionFault):
        return Delivery(DroppedConnection(), None, None, envelope=False)
    result = answer()
    if isinstance(fault, EmptyOutputFault) and result.error is None:
        payload = {**blank(result.payload), "return_code": 0, "return_msg": OK_MSG}
        empty_headers = {**result.headers, "cont-yn": "N", "next-key": ""}
        return Delivery(json_response(payload, result.status, empty_headers), result.status, None)
    if isinstance(fault, TruncatedBodyFault):
        cut = TruncatedResponse(result.response(), fault.keep_fraction)
        return Delivery(cut, result.status, None, envelope=False)
    return Delivery(result.response(), result.status, result.error)
