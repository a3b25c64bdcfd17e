"""The admin API: load, inspect and clear scenarios; query and count the journal; reset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fake_kiwoom import FakeKiwoomConfig, create_app
from tests.support.fake import FakeClock, bracket_code, call_tr, issue_token, make_client, unlimited

CATALOG = Path(__file__).resolve().parents[2] / "scenarios"
BURST = (CATALOG / "5xx_burst.yaml").read_text(encoding="utf-8")
OUTAGE = (CATALOG / "total_outage.yaml").read_text(encoding="utf-8")


@pytest.fixture
def fake() -> tuple[TestClient, FakeClock]:
    return make_client(unlimited())


def price(client: TestClient, token: str, session: str | None = None, code: str = "005930") -> int:
    headers = {"api-id": "ka10001", "authorization": f"Bearer {token}"}
    if session:
        headers["x-fake-session"] = session
    return client.post("/api/dostk/stkinfo", json={"stk_cd": code}, headers=headers).status_code


def count(client: TestClient, **criteria: object) -> int:
    response = client.post("/__admin/requests/count", json=criteria)
    assert response.status_code == 200, response.text
    n: int = response.json()["count"]
    return n


def test_put_yaml_loads_and_get_reports_it(fake: tuple[TestClient, FakeClock]) -> None:
    client, clock = fake
    response = client.put("/__admin/scenario", content=BURST)
    assert response.json() == {"name": "5xx_burst", "rules": 1}
    token = issue_token(client)
    assert [price(client, token) for _ in range(4)] == [503, 503, 200, 200]
    state = client.get("/__admin/scenario").json()
    assert state["name"] == "5xx_burst"
    assert state["started_at"] == clock.now
    assert state["sessions"] == {"default": [{"rule": 0, "matched": 4, "applied": 2}]}


def test_put_json_is_accepted(fake: tuple[TestClient, FakeClock]) -> None:
    client, _ = fake
    body = {"version": 1, "name": "j", "description": "d", "rules": []}
    assert client.put("/__admin/scenario", content=json.dumps(body)).json()["name"] == "j"


def test_failing_put_keeps_the_previous_scenario(fake: tuple[TestClient, FakeClock]) -> None:
    client, _ = fake
    client.put("/__admin/scenario", content=OUTAGE)
    broken = BURST.replace("status: 503", "status: 404")
    response = client.put("/__admin/scenario", content=broken)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("PUT /__admin/scenario: invalid scenario")
    assert "rules[0].steps[0].fault.status" in error
    assert client.get("/__admin/scenario").json()["name"] == "total_outage"
    assert price(client, issue_token(client)) == 503
    assert client.put("/__admin/scenario", content=b"\xff\xfe").status_code == 400


def test_delete_returns_to_no_faults(fake: tuple[TestClient, FakeClock]) -> None:
    client, _ = fake
    client.put("/__admin/scenario", content=OUTAGE)
    token = issue_token(client)
    assert price(client, token) == 503
    assert client.delete("/__admin/scenario").json() == {"name": None}
    assert price(client, token) == 200
    assert client.get("/__admin/scenario").json()["name"] is None


def test_admin_routes_are_never_faulted(fake: tuple[TestClient, FakeClock]) -> None:
    client, _ = fake
    everything = (
        "version: 1\nname: all\ndescription: d\nrules:\n  - steps: [{times: null, fault: {type: drop_connection}}]\n"
    )
    client.put("/__admin/scenario", content=everything)
    assert client.get("/__admin/health").status_code == 200
    assert client.get("/__admin/requests").status_code == 200


def test_requests_filters_by_session_api_id_and_limit(fake: tuple[TestClient, FakeClock]) -> None:
    client, clock = fake
    token = issue_token(client)
    price(client, token, "a")
    clock.advance(1)
    price(client, token, "b")
    call_tr(client, token, "ka10004", {"stk_cd": "005930"})
    entries = client.get("/__admin/requests").json()["requests"]
    assert [(e["api_id"], e["session"]) for e in entries] == [
        ("au10001", "default"), ("ka10001", "a"), ("ka10001", "b"), ("ka10004", "default"),
    ]  # fmt: skip
    assert set(entries[0]) == {
        "ts", "api_id", "path", "stock_code", "status", "return_code", "detail_code", "cont_yn",
        "fault", "latency_ms", "session",
    }  # fmt: skip
    by_session = client.get("/__admin/requests", params={"session": "b"}).json()["requests"]
    assert [e["session"] for e in by_session] == ["b"]
    by_api = client.get("/__admin/requests", params={"api_id": "ka10001", "limit": "1"}).json()["requests"]
    assert [(e["session"], e["ts"]) for e in by_api] == [("b", clock.now)]
    assert client.get("/__admin/requests", params={"limit": "0"}).json() == {"requests": []}
    assert client.get("/__admin/requests", params={"limit": "-1"}).status_code == 400


def test_count_matches_every_criterion(fake: tuple[TestClient, FakeClock]) -> None:
    client, clock = fake
    client.put("/__admin/scenario", content=BURST)
    token = issue_token(client)
    start = clock.now
    for _ in range(3):
        price(client, token)
        clock.advance(1)
    price(client, token, code="000660")
    assert count(client) == 5
    assert count(client, api_id="ka10001") == 4
    assert count(client, api_id="ka10001", status=503) == 2
    assert count(client, fault="http_status") == 2
    assert count(client, fault=None, api_id="ka10001") == 2
    assert count(client, stock_code="000660") == 1
    assert count(client, path="/oauth2/token") == 1
    assert count(client, session="default", since_ts=start + 2) == 2
    assert count(client, session="nobody") == 0


@pytest.mark.parametrize("body", [b'{"colour": "red"}', b'{"status": "many"}', b"[1]", b"{"])
def test_count_rejects_bad_criteria(fake: tuple[TestClient, FakeClock], body: bytes) -> None:
    client, _ = fake
    response = client.post("/__admin/requests/count", content=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith("invalid count criteria")


def test_reset_clears_journal_tokens_limits_and_scenario_counters() -> None:
    clock = FakeClock()
    client = TestClient(create_app(FakeKiwoomConfig(rate_limit_per_s=1, rate_limit_burst=1), clock=clock))
    client.put("/__admin/scenario", content=BURST)
    token = issue_token(client)
    assert [price(client, token) for _ in range(3)] == [503, 503, 200]
    assert price(client, token) == 429  # the real limiter: one request, burst 1
    clock.advance(100)
    assert client.post("/__admin/reset").json() == {"status": "ok"}
    assert client.get("/__admin/requests").json() == {"requests": []}
    state = client.get("/__admin/scenario").json()
    assert (state["name"], state["sessions"], state["started_at"]) == ("5xx_burst", {}, clock.now)
    assert bracket_code(call_tr(client, token, "ka10004", {"stk_cd": "005930"}).json()) == 8005
    token = issue_token(client)
    assert [price(client, token) for _ in range(3)] == [503, 503, 200]


def test_journal_off_records_nothing_but_faults_still_apply() -> None:
    client, _ = make_client(FakeKiwoomConfig(rate_limit_per_s=0, journal_limit=0))
    client.put("/__admin/scenario", content=BURST)
    assert price(client, issue_token(client)) == 503
    assert client.get("/__admin/requests").json() == {"requests": []}
    assert count(client) == 0


def test_capped_journal_keeps_the_newest() -> None:
    client, clock = make_client(FakeKiwoomConfig(rate_limit_per_s=0, journal_limit=2))
    token = issue_token(client)
    for _ in range(3):
        clock.advance(1)
        price(client, token)
    entries = client.get("/__admin/requests").json()["requests"]
    assert [e["ts"] for e in entries] == [clock.now - 1, clock.now]
