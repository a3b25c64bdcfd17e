"""The Starlette app: token endpoints, the TR endpoint, admin routes and the journal.

Request checks on a TR run in the live server's order (as far as it is known): api-id
present (1501) and known (1505), at the right URL group (1504), authorization present
(1513) and well-formed (1514), token valid (8005), rate limit (1700), body a JSON object
(1517), required fields present (1511), then the handler (1902, 1901, 1517 ...). Nothing
escapes as a stack trace: unexpected exceptions become a 1999 envelope with HTTP 500.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kiwoom.krx_calendar import KST

from .config import FakeKiwoomConfig
from .envelopes import OK_MSG, KiwoomError, error_response, json_response
from .journal import Journal, JournalEntry
from .market import SyntheticMarket
from .ratelimit import RateLimiter
from .tokens import TokenStore
from .trs import KNOWN_GROUPS, TrRequest, tr_table

log = logging.getLogger("fake_kiwoom")

Body = dict[str, str]


@dataclass
class FakeState:
    """Everything one fake server instance owns; also reachable as ``app.state.fake``."""

    config: FakeKiwoomConfig
    clock: Callable[[], float]
    market: SyntheticMarket
    journal: Journal
    tokens: TokenStore = field(default_factory=TokenStore)
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(0, 1))

    def reset(self) -> None:
        self.journal.clear()
        self.tokens.clear()
        self.limiter.clear()


def _parse_body(raw: bytes) -> tuple[Body | None, KiwoomError | None]:
    """The body as a flat string map, or the 1517 error to raise when its turn comes."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, KiwoomError(1517, "요청 본문이 올바른 JSON이 아닙니다")
    if not isinstance(data, dict):
        return None, KiwoomError(1517, "요청 본문은 JSON 객체여야 합니다")
    body: Body = {}
    for key, value in data.items():
        if isinstance(value, str):
            body[key] = value
        elif value is None:
            body[key] = ""
        elif isinstance(value, int | float) and not isinstance(value, bool):
            body[key] = str(value)
        else:
            return None, KiwoomError(1517, f"{key} 값은 문자열이어야 합니다")
    return body, None


def _missing(body: Mapping[str, str], fields: tuple[str, ...]) -> str | None:
    return next((f for f in fields if not body.get(f, "").strip()), None)


def _state(request: Request) -> FakeState:
    state: FakeState = request.app.state.fake
    return state


def _record(
    state: FakeState,
    request: Request,
    response: Response,
    *,
    now: float,
    api_id: str | None,
    body: Body | None,
    error: KiwoomError | None,
) -> None:
    state.journal.append(
        JournalEntry(
            ts=now,
            api_id=api_id or None,
            path=request.url.path,
            stock_code=(body or {}).get("stk_cd"),
            status=response.status_code,
            return_code=error.category if error else 0,
            detail_code=error.code if error else None,
            cont_yn=response.headers.get("cont-yn"),
        )
    )


def _tr_headers(api_id: str, next_key: str = "") -> dict[str, str]:
    return {"api-id": api_id, "cont-yn": "Y" if next_key else "N", "next-key": next_key}


async def tr_endpoint(request: Request) -> Response:
    state = _state(request)
    now = state.clock()
    group = request.path_params["group"]
    api_id = request.headers.get("api-id", "").strip()
    body, body_error = _parse_body(await request.body())
    error: KiwoomError | None = None
    try:
        if group not in KNOWN_GROUPS:
            raise HTTPException(404)
        response = _answer_tr(state, request, now=now, group=group, api_id=api_id, body=body, body_error=body_error)
    except KiwoomError as exc:
        error = exc
        response = error_response(exc, _tr_headers(api_id) if api_id else None)
    except HTTPException:
        raise
    except Exception:
        log.exception("unexpected error answering %s", api_id)
        error = KiwoomError(1999, f"API ID={api_id}")
        response = error_response(error)
    _record(state, request, response, now=now, api_id=api_id, body=body, error=error)
    return response


def _answer_tr(
    state: FakeState,
    request: Request,
    *,
    now: float,
    group: str,
    api_id: str,
    body: Body | None,
    body_error: KiwoomError | None,
) -> Response:
    if not api_id:
        raise KiwoomError(1501)
    spec = tr_table().get(api_id)
    if spec is None:
        raise KiwoomError(1505, f"API ID={api_id}")
    if spec.group != group:
        raise KiwoomError(1504, f"API ID={api_id}, URI={request.url.path}")
    auth = request.headers.get("authorization", "").strip()
    if not auth:
        raise KiwoomError(1513)
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise KiwoomError(1514)
    issued = state.tokens.lookup(token.strip(), now)
    if issued is None:
        raise KiwoomError(8005)
    if not state.limiter.allow((issued.appkey, api_id), now):
        raise KiwoomError(1700, f"API ID={api_id}")
    if body is None:
        raise body_error or KiwoomError(1517)
    missing = _missing(body, spec.required)
    if missing:
        raise KiwoomError(1511, f"필수입력 파라미터={missing}")
    cont = request.headers.get("cont-yn", "").strip().upper() == "Y"
    tr = TrRequest(
        api_id=api_id,
        path=request.url.path,
        body=body,
        now=now,
        appkey=issued.appkey,
        next_key=request.headers.get("next-key", "").strip() if cont else "",
        market=state.market,
        config=state.config,
    )
    result = spec.handler(tr)
    payload = {**result.fields, "return_code": 0, "return_msg": OK_MSG}
    return json_response(payload, 200, _tr_headers(api_id, result.next_key))


def _check_keys(state: FakeState, body: Body) -> tuple[str, str]:
    appkey, secretkey = body.get("appkey", "").strip(), body.get("secretkey", "").strip()
    if not appkey or not secretkey:
        raise KiwoomError(8020)
    keys = state.config.app_keys
    if keys is not None:
        if appkey not in keys:
            raise KiwoomError(8001)
        if keys[appkey] != secretkey:
            raise KiwoomError(8002)
    return appkey, secretkey


async def token_endpoint(request: Request) -> Response:
    """au10001: issue a bearer token that expires ``token_lifetime_s`` later on the clock."""

    def answer(state: FakeState, now: float, body: Body) -> dict[str, object]:
        grant = body.get("grant_type", "").strip()
        if not grant:
            raise KiwoomError(8011)
        if grant != "client_credentials":
            raise KiwoomError(8012)
        appkey, _ = _check_keys(state, body)
        issued = state.tokens.issue(appkey, now, state.config.token_lifetime_s)
        expires = datetime.fromtimestamp(issued.expires_at, KST).strftime("%Y%m%d%H%M%S")
        return {"expires_dt": expires, "token_type": "bearer", "token": issued.token}

    return await _auth_call(request, "au10001", answer)


async def revoke_endpoint(request: Request) -> Response:
    """au10002: revoke a token owned by the app key; unknown tokens are 8016."""

    def answer(state: FakeState, now: float, body: Body) -> dict[str, object]:
        del now
        appkey, _ = _check_keys(state, body)
        token = body.get("token", "").strip()
        if not token:
            raise KiwoomError(1516)
        if not state.tokens.revoke(token, appkey):
            raise KiwoomError(8016)
        return {}

    return await _auth_call(request, "au10002", answer)


async def _auth_call(
    request: Request, api_id: str, answer: Callable[[FakeState, float, Body], dict[str, object]]
) -> Response:
    state = _state(request)
    now = state.clock()
    body, body_error = _parse_body(await request.body())
    error: KiwoomError | None = None
    try:
        if body is None:
            raise body_error or KiwoomError(1517)
        fields = answer(state, now, body)
        response = json_response({**fields, "return_code": 0, "return_msg": OK_MSG}, 200, _tr_headers(api_id))
    except KiwoomError as exc:
        error = exc
        response = error_response(exc, _tr_headers(api_id))
    except Exception:
        log.exception("unexpected error answering %s", api_id)
        error = KiwoomError(1999, f"API ID={api_id}")
        response = error_response(error)
    _record(state, request, response, now=now, api_id=api_id, body=None, error=error)
    return response


async def admin_requests(request: Request) -> Response:
    return json_response({"requests": _state(request).journal.as_dicts()})


async def admin_reset(request: Request) -> Response:
    _state(request).reset()
    return json_response({"status": "ok"})


async def admin_health(request: Request) -> Response:
    del request
    return json_response({"status": "ok"})


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = {404: "요청한 URI를 찾을 수 없습니다", 405: "지원하지 않는 HTTP 메서드입니다"}.get(
        status, "요청을 처리할 수 없습니다"
    )
    body = {"return_code": 1, "return_msg": f"잘못된 요청입니다[1999:{detail}. URI={request.url.path}]"}
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else None
    return json_response(body, status, headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s: %r", request.url.path, exc)
    return error_response(KiwoomError(1999))


def create_app(config: FakeKiwoomConfig | None = None, *, clock: Callable[[], float] | None = None) -> Starlette:
    """Build one fake Kiwoom server; ``clock`` (epoch seconds) drives every time-dependent behaviour."""
    config = config or FakeKiwoomConfig()
    state = FakeState(
        config=config,
        clock=clock or time.time,
        market=SyntheticMarket(config.seed),
        journal=Journal(config.journal_limit),
        limiter=RateLimiter(config.rate_limit_per_s, config.rate_limit_burst),
    )
    routes = [
        Route("/oauth2/token", token_endpoint, methods=["POST"]),
        Route("/oauth2/revoke", revoke_endpoint, methods=["POST"]),
        Route("/api/dostk/{group}", tr_endpoint, methods=["POST"]),
        Route("/__admin/requests", admin_requests, methods=["GET"]),
        Route("/__admin/reset", admin_reset, methods=["POST"]),
        Route("/__admin/health", admin_health, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _unexpected},
    )
    app.state.fake = state
    app.state.config = config
    app.state.market = state.market
    app.state.journal = state.journal
    return app
