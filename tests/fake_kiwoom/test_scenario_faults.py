"""Every fault type as an httpx2 client sees it: in process (ASGITransport) and, where the socket matters, over one."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx2
import pytest

from fake_kiwoom import FakeKiwoomConfig, create_app, parse_scenario
from fake_kiwoom.faults import ConnectionDropped
from kiwoom_lab.loopback import serve
from tests.support.fake import FakeClock, bracket_code

pytestmark = pytest.mark.anyio

KEYS = {"grant_type": "client_credentials", "appkey": "app-key", "secretkey": "secret-key"}


class RecordingSleep:
    """Stands in for asyncio.sleep: remembers each delay, waits for none."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class Fake:
    """One fake with a scenario, an in-process httpx2 client, a fake clock and a recording sleep."""

    def __init__(self, client: httpx2.AsyncClient, clock: FakeClock, sleep: RecordingSleep) -> None:
        self.client, self.clock, self.sleep = client, clock, sleep
        self.token = ""

    async def login(self) -> str:
        response = await self.client.post("/oauth2/token", json=KEYS)
        self.token = response.json()["token"]
        return self.token

    async def tr(self, api_id: str = "ka10001", body: dict[str, str] | None = None, **headers: str) -> httpx2.Response:
        group = {"ka10001": "stkinfo", "ka10095": "stkinfo", "ka10004": "mrkcond", "ka10081": "chart"}[api_id]
        all_headers = {"api-id": api_id, "authorization": f"Bearer {self.token}", **headers}
        return await self.client.post(f"/api/dostk/{group}", json=body or {"stk_cd": "005930"}, headers=all_headers)

    async def journal(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = (await self.client.get("/__admin/requests")).json()["requests"]
        return entries


def scenario_text(fault: str, *, match: str = "{path: /api/dostk/*}", times: str = "1") -> str:
    return (
        "version: 1\nname: t\ndescription: test\nrules:\n"
        f"  - match: {match}\n    steps: [{{times: {times}, fault: {fault}}}]\n"
    )


@pytest.fixture
async def make_fake() -> AsyncIterator[Any]:
    clients: list[httpx2.AsyncClient] = []

    async def build(text: str | None = None) -> Fake:
        clock, sleep = FakeClock(), RecordingSleep()
        scenario = parse_scenario(text, "test.yaml") if text else None
        app = create_app(FakeKiwoomConfig(rate_limit_per_s=0), clock=clock, sleep=sleep, scenario=scenario)
        client = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://fake-kiwoom")
        clients.append(client)
        fake = Fake(client, clock, sleep)
        await fake.login()
        return fake

    yield build
    for client in clients:
        await client.aclose()


async def test_fixed_latency_uses_the_injected_sleep_and_is_journaled(make_fake: Any) -> None:
    fake = await make_fake(scenario_text("{type: latency, fixed_ms: 1500}"))
    arrived = fake.clock()
    response = await fake.tr()
    assert response.status_code == 200
    assert response.json()["return_code"] == 0
    assert fake.sleep.calls == [1.5]
    entry = (await fake.journal())[-1]
    assert (entry["fault"], entry["latency_ms"], entry["ts"], entry["status"]) == ("latency", 1500.0, arrived, 200)


async def test_http_status_is_a_proxy_page_with_optional_retry_after(make_fake: Any) -> None:
    fake = await make_fake(scenario_text("{type: http_status, status: 503, retry_after_s: 7, latency: {fixed_ms: 20}}"))
    response = await fake.tr()
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["retry-after"] == "7"
    assert "503 Service Temporarily Unavailable" in response.text
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert fake.sleep.calls == [0.02]
    entry = (await fake.journal())[-1]
    assert (entry["status"], entry["fault"], entry["return_code"], entry["latency_ms"]) == (
        503,
        "http_status",
        None,
        20.0,
    )
    assert (await fake.tr()).status_code == 200  # one step, then pass


@pytest.mark.parametrize(
    ("code", "status", "category"), [(1700, 429, 5), (8005, 200, 3), (1902, 200, 2), (1999, 500, 9)]
)
async def test_kiwoom_error_envelopes_use_the_live_statuses(
    make_fake: Any, code: int, status: int, category: int
) -> None:
    fake = await make_fake(scenario_text(f"{{type: kiwoom_error, code: {code}}}"))
    response = await fake.tr()
    assert response.status_code == status
    assert response.json()["return_code"] == category
    assert bracket_code(response.json()) == code
    assert response.headers["api-id"] == "ka10001"
    entry = (await fake.journal())[-1]
    assert (entry["fault"], entry["detail_code"], entry["return_code"]) == ("kiwoom_error", code, category)


async def test_empty_output_blanks_fields_and_empties_lists(make_fake: Any) -> None:
    fake = await make_fake(scenario_text("{type: empty_output}", times="null"))
    price = (await fake.tr()).json()
    assert price["return_code"] == 0
    assert price["stk_cd"] == price["cur_prc"] == ""
    assert all(v == "" for k, v in price.items() if k not in {"return_code", "return_msg"})
    bars = await fake.tr("ka10081", {"stk_cd": "005930", "base_dt": "20251126", "upd_stkpc_tp": "1"})
    assert bars.json()["stk_dt_pole_chart_qry"] == []
    assert bars.headers["cont-yn"] == "N"


async def test_empty_output_leaves_real_errors_alone(make_fake: Any) -> None:
    fake = await make_fake(scenario_text("{type: empty_output}"))
    response = await fake.tr(body={"stk_cd": "999999"})
    assert bracket_code(response.json()) == 1902


async def test_malformed_json_is_200_and_unparseable(make_fake: Any) -> None:
    fake = await make_fake(scenario_text("{type: malformed_json}"))
    response = await fake.tr()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.text.startswith('{"return_code":0')
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert (await fake.journal())[-1]["return_code"] is None


async def test_truncated_body_in_process_is_200_and_unparseable(make_fake: Any) -> None:
    fake = await make_fake(scenario_text("{type: truncated_body, keep_fraction: 0.3}"))
    response = await fake.tr()
    assert response.status_code == 200
    assert int(response.headers["content-length"]) > len(response.content) > 0
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_hang_sleeps_then_answers_normally(make_fake: Any) -> None:
    fake = await make_fake(scenario_text("{type: hang}"))
    response = await fake.tr()
    assert response.json()["return_code"] == 0
    assert fake.sleep.calls == [60.0]
    entry = (await fake.journal())[-1]
    assert (entry["fault"], entry["latency_ms"]) == ("hang", 60000.0)


async def test_a_hanging_request_is_journaled_before_it_is_answered() -> None:
    released = anyio.Event()

    async def blocking_sleep(seconds: float) -> None:
        del seconds
        await released.wait()

    scenario = parse_scenario(scenario_text("{type: hang}"), "t.yaml")
    app = create_app(FakeKiwoomConfig(rate_limit_per_s=0), clock=FakeClock(), sleep=blocking_sleep, scenario=scenario)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://fake-kiwoom") as client:
        fake = Fake(client, FakeClock(), RecordingSleep())
        await fake.login()
        async with anyio.create_task_group() as group:
            group.start_soon(fake.tr)
            await anyio.wait_all_tasks_blocked()
            entry = (await fake.journal())[-1]
            in_flight = (entry["api_id"], entry["status"], entry["fault"], entry["latency_ms"])
            assert in_flight == ("ka10001", None, "hang", 60000.0)
            released.set()
        entry = (await fake.journal())[-1]
        assert (entry["status"], entry["fault"]) == (200, "hang")


async def test_drop_connection_in_process_raises_a_transport_error(make_fake: Any) -> None:
    fake = await make_fake(scenario_text("{type: drop_connection}"))
    with pytest.raises(httpx2.RemoteProtocolError) as info:
        await fake.tr()
    assert isinstance(info.value, ConnectionDropped)
    assert isinstance(info.value, httpx2.TransportError)
    entry = (await fake.journal())[-1]
    assert (entry["status"], entry["fault"]) == (None, "drop_connection")
    assert (await fake.tr()).status_code == 200


async def test_slow_auth_delays_only_the_token_endpoint(make_fake: Any) -> None:
    fake = await make_fake(scenario_text("{type: latency, fixed_ms: 3000}", match="{path: /oauth2/token}"))
    assert fake.sleep.calls == [3.0]  # the login in make_fake
    await fake.tr()
    assert fake.sleep.calls == [3.0]
    entries = await fake.journal()
    assert [(e["api_id"], e["fault"]) for e in entries] == [("au10001", "latency"), ("ka10001", None)]


async def test_token_state_expired_matches_requests_without_a_live_token(make_fake: Any) -> None:
    fake = await make_fake(scenario_text("{type: http_status, status: 500}", match="{token_state: expired}"))
    assert (await fake.tr()).status_code == 200
    fake.token = "forged"
    assert (await fake.tr()).status_code == 500


async def test_session_header_isolates_counters(make_fake: Any) -> None:
    fake = await make_fake(scenario_text("{type: http_status, status: 503}"))
    assert [(await fake.tr(**{"x-fake-session": s})).status_code for s in ("u1", "u1", "u2", "u2")] == [
        503,
        200,
        503,
        200,
    ]
    sessions = [e["session"] for e in await fake.journal()]
    assert sessions == ["default", "u1", "u1", "u2", "u2"]


async def test_faults_skip_the_real_checks_but_pass_through_keeps_them(make_fake: Any) -> None:
    fake = await make_fake(scenario_text("{type: http_status, status: 502}"))
    fake.token = "forged"
    assert (await fake.tr()).status_code == 502  # the proxy answers before Kiwoom checks the token
    assert bracket_code((await fake.tr()).json()) == 8005


async def test_no_scenario_means_no_faults(make_fake: Any) -> None:
    fake = await make_fake()
    response = await fake.tr()
    assert response.status_code == 200
    assert fake.sleep.calls == []
    assert (await fake.journal())[-1]["fault"] is None


def _tr_over_socket(base_url: str) -> httpx2.Response:
    with httpx2.Client(base_url=base_url, timeout=5) as client:
        token = client.post("/oauth2/token", json=KEYS).json()["token"]
        headers = {"api-id": "ka10001", "authorization": f"Bearer {token}"}
        return client.post("/api/dostk/stkinfo", json={"stk_cd": "005930"}, headers=headers)


@pytest.mark.socket
@pytest.mark.parametrize(
    ("fault", "message"),
    [("{type: drop_connection}", "without sending a response"), ("{type: truncated_body}", "complete message body")],
)
def test_socket_faults_are_transport_errors_not_statuses(
    fault: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(FakeKiwoomConfig(rate_limit_per_s=0), scenario=parse_scenario(scenario_text(fault), "t.yaml"))
    server_log = logging.getLogger("uvicorn.error")
    with serve(app) as base_url:
        server_log.addHandler(caplog.handler)  # uvicorn's loggers do not propagate to the root
        try:
            with pytest.raises(httpx2.TransportError) as info:
                _tr_over_socket(base_url)
            assert isinstance(info.value, httpx2.RemoteProtocolError)
            assert message in str(info.value)
            assert _tr_over_socket(base_url).status_code == 200  # the server itself is fine
        finally:
            server_log.removeHandler(caplog.handler)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, "a deliberate fault is not a server error"
