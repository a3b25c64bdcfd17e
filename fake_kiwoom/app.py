"""The Starlette app: token endpoints, the TR endpoint, admin routes and the journal.

Request checks on a TR run in the live server's order (as far as it is known): api-id
present (1501) and known (1505), at the right URL group (1504), authorization present
(1513) and well-formed (1514), token valid (8005), rate limit (1700), body a JSON object
(1517), required fields present (1511), then the handler (1902, 1901, 1517 ...). Nothing
escapes as a stack trace: unexpected exceptions become a 1999 envelope with HTTP 500.
A TR sent to a URL group Kiwoom does not have (``/api/dostk/nosuchgroup``) is an HTTP 404,
journalled with its ``api-id`` like any other TR.

A loaded scenario is asked first, on token and TR requests (never on ``/__admin``): a fault
that stands for something in front of Kiwoom (a proxy 503, a dropped connection, an
injected envelope, malformed JSON) answers without running the checks above, as the real
path would; latency, hang, empty output and truncation wrap the normal answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from krx.calendar import KST

from .admin import admin_routes
from .config import FakeKiwoomConfig
from .envelopes import OK_MSG, KiwoomError, error_response, json_response
from .faults import Answer, ConnectionDropped, Delivery, Sleep, deliver
from .journal import Journal, JournalEntry
from .market import SyntheticMarket
from .ratelimit import RateLimiter
from .scenario_engine import DEFAULT_SESSION, SESSION_HEADER, Decision, RequestFacts, ScenarioEngine
from .scenario_model import Scenario
from .state import FakeState
from .tr_types import TrRequest
from .trs import KNOWN_GROUPS, TR_TABLE
from .websocket import websocket_route
from .ws_faults import ws_admin_routes

log = logging.getLogger("fake_kiwoom")

Body = dict[str, str]


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


def _session(request: Request) -> str:
    return request.headers.get(SESSION_HEADER, "").strip() or DEFAULT_SESSION


def _arrive(state: FakeState, request: Request, *, now: float, api_id: str | None, body: Body | None) -> JournalEntry:
    """Journal the request on arrival, so ``ts`` is before any injected delay."""
    return state.journal.append(
        JournalEntry(
            ts=now,
            api_id=api_id or None,
            path=request.url.path,
            stock_code=(body or {}).get("stk_cd"),
            session=_session(request),
        )
    )


def _decide(state: FakeState, entry: JournalEntry, facts: RequestFacts, now: float) -> Decision:
    """Ask the scenario, and journal its verdict at once: a hanging request already shows its fault."""
    decision = state.engine.decide(facts, now)
    entry.fault = decision.fault_type
    entry.latency_ms = decision.delay_s * 1000
    return decision


def _complete(entry: JournalEntry, delivery: Delivery) -> None:
    error = delivery.error
    entry.status = delivery.status
    if delivery.envelope:
        entry.return_code = error.category if error else 0
        entry.detail_code = error.code if error else None
    entry.cont_yn = delivery.response.headers.get("cont-yn") if delivery.status is not None else None


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _facts(state: FakeState, request: Request, *, now: float, api_id: str, body: Body | None) -> RequestFacts:
    token = _bearer(request)
    codes = tuple(c.strip() for c in (body or {}).get("stk_cd", "").split("|") if c.strip())
    return RequestFacts(
        path=request.url.path,
        api_id=api_id or None,
        stock_codes=codes,
        token_valid=token is not None and state.tokens.lookup(token, now) is not None,
        session=_session(request),
    )


def _tr_headers(api_id: str, next_key: str = "") -> dict[str, str]:
    return {"api-id": api_id, "cont-yn": "Y" if next_key else "N", "next-key": next_key}


def _safely(produce: Callable[[], Answer], api_id: str, error_headers: dict[str, str]) -> Callable[[], Answer]:
    """``produce`` with Kiwoom errors turned into their envelopes and anything else into 1999, never a trace."""

    def answer() -> Answer:
        try:
            return produce()
        except KiwoomError as exc:
            return Answer(exc.body, exc.status, error_headers, exc)
        except Exception:
            log.exception("unexpected error answering %s", api_id)
            error = KiwoomError(1999, f"API ID={api_id}")
            return Answer(error.body, error.status, {}, error)

    return answer


async def tr_endpoint(request: Request) -> Response:
    """A TR: the scenario decides first (most faults skip the real checks), then the live server's checks."""
    state = _state(request)
    now = state.clock()
    group = request.path_params["group"]
    api_id = request.headers.get("api-id", "").strip()
    body, body_error = _parse_body(await request.body())
    entry = _arrive(state, request, now=now, api_id=api_id, body=body)
    if group not in KNOWN_GROUPS:  # journalled like any TR, so a lab or load run sees the client's mistake
        response = await _http_error(request, HTTPException(404))
        entry.status, entry.return_code, entry.detail_code = 404, NOT_FOUND_CATEGORY, NOT_FOUND_CODE
        return response
    decision = _decide(state, entry, _facts(state, request, now=now, api_id=api_id, body=body), now)

    def answer() -> Answer:
        payload, headers = _answer_tr(
            state, request, now=now, group=group, api_id=api_id, body=body, body_error=body_error
        )
        return Answer(payload, 200, headers)

    delivery = await deliver(
        decision, _safely(answer, api_id, _tr_headers(api_id) if api_id else {}), api_id=api_id, sleep=state.sleep
    )
    _complete(entry, delivery)
    return delivery.response


def _answer_tr(
    state: FakeState,
    request: Request,
    *,
    now: float,
    group: str,
    api_id: str,
    body: Body | None,
    body_error: KiwoomError | None,
) -> tuple[dict[str, object], dict[str, str]]:
    if not api_id:
        raise KiwoomError(1501)
    spec = TR_TABLE.get(api_id)
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
    return payload, _tr_headers(api_id, result.next_key)


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
    entry = _arrive(state, request, now=now, api_id=api_id, body=None)
    facts = RequestFacts(path=request.url.path, api_id=api_id, session=_session(request))
    decision = _decide(state, entry, facts, now)

    def real() -> Answer:
        if body is None:
            raise body_error or KiwoomError(1517)
        fields = answer(state, now, body)
        return Answer({**fields, "return_code": 0, "return_msg": OK_MSG}, 200, _tr_headers(api_id))

    delivery = await deliver(decision, _safely(real, api_id, _tr_headers(api_id)), api_id=api_id, sleep=state.sleep)
    _complete(entry, delivery)
    return delivery.response


#: The envelope of a routing error (unknown path, wrong method): category 1, detail 1999.
NOT_FOUND_CATEGORY, NOT_FOUND_CODE = 1, 1999


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = {404: "요청한 URI를 찾을 수 없습니다", 405: "지원하지 않는 HTTP 메서드입니다"}.get(
        status, "요청을 처리할 수 없습니다"
    )
    text = f"잘못된 요청입니다[{NOT_FOUND_CODE}:{detail}. URI={request.url.path}]"
    body = {"return_code": NOT_FOUND_CATEGORY, "return_msg": text}
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else None
    return json_response(body, status, headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, ConnectionDropped):  # an injected fault, not a bug
        log.error("unhandled error on %s: %r", request.url.path, exc)
    return error_response(KiwoomError(1999))


def create_app(
    config: FakeKiwoomConfig | None = None,
    *,
    clock: Callable[[], float] | None = None,
    sleep: Sleep | None = None,
    scenario: Scenario | None = None,
) -> Starlette:
    """Build one fake Kiwoom server.

    ``clock`` (epoch seconds) drives every time-dependent behaviour; ``sleep`` performs
    injected delays (tests pass a recorder so latency and hangs cost no wall time);
    ``scenario`` is loaded at start, as ``fake-kiwoom --scenario FILE`` does.
    """
    config = config or FakeKiwoomConfig()
    clock = clock or time.time
    engine = ScenarioEngine(clock)
    engine.load(scenario)
    state = FakeState(
        config=config,
        clock=clock,
        market=SyntheticMarket(config.seed),
        journal=Journal(config.journal_limit),
        engine=engine,
        sleep=sleep or asyncio.sleep,
        limiter=RateLimiter(config.rate_limit_per_s, config.rate_limit_burst),
    )
    routes = [
        Route("/oauth2/token", token_endpoint, methods=["POST"]),
        Route("/oauth2/revoke", revoke_endpoint, methods=["POST"]),
        Route("/api/dostk/{group}", tr_endpoint, methods=["POST"]),
        websocket_route(),
        *admin_routes(),
        *ws_admin_routes(),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _unexpected},
    )
    app.state.fake = state
    app.state.config = config
    app.state.market = state.market
    app.state.journal = state.journal
    app.state.engine = engine
    return app
