"""One JSON POST to Kiwoom, with every way it can fail mapped onto the exception tree.

All Kiwoom calls, token endpoints included, are ``POST`` with a JSON body. This is the
only place that touches httpx2 exceptions, so the layers above reason in Kiwoom terms
(timeout, transport, HTTP status, bad body, API error) and never in library types.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx2

from kiwoom.errors import KiwoomHTTPError, KiwoomResponseError, KiwoomTimeoutError, KiwoomTransportError
from kiwoom.transport.protocol import JSON_CONTENT_TYPE, check_envelope

logger = logging.getLogger("kiwoom.transport.http")


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful Kiwoom answer: the envelope body and the headers that drive paging."""

    api_id: str
    status_code: int
    body: dict[str, Any]
    cont_yn: bool
    next_key: str
    elapsed_s: float


async def post_json(
    http: httpx2.AsyncClient,
    path: str,
    body: dict[str, Any],
    *,
    api_id: str,
    headers: dict[str, str] | None = None,
) -> Reply:
    """POST ``body`` to ``path`` and return the checked envelope, or raise a KiwoomError."""
    request_headers = {"Content-Type": JSON_CONTENT_TYPE, **(headers or {})}
    started = time.perf_counter()
    try:
        response = await http.post(path, json=body, headers=request_headers)
    except httpx2.TimeoutException as exc:
        raise KiwoomTimeoutError(f"API 호출 시간 초과 ({api_id}): {type(exc).__name__}") from None
    except httpx2.TransportError as exc:
        raise KiwoomTransportError(f"API 연결 실패 ({api_id}): {type(exc).__name__}: {exc}") from None
    elapsed = time.perf_counter() - started
    logger.debug("kiwoom %s %s → HTTP %s in %.1f ms", api_id, path, response.status_code, elapsed * 1000)
    try:
        payload = json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        if response.status_code >= 400:
            raise KiwoomHTTPError(response.status_code, api_id) from None
        raise KiwoomResponseError(api_id, "JSON이 아닌 응답 본문", response.status_code) from None
    checked = check_envelope(api_id, response.status_code, payload)
    return Reply(
        api_id=api_id,
        status_code=response.status_code,
        body=checked,
        cont_yn=response.headers.get("cont-yn", "N").strip().upper() == "Y",
        next_key=response.headers.get("next-key", "").strip(),
        elapsed_s=elapsed,
    )
