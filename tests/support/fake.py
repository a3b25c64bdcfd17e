"""Helpers shared by the fake_kiwoom tests: their start of the fake clock and thin request wrappers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx2
from starlette.testclient import TestClient

from fake_kiwoom import FakeKiwoomConfig, create_app
from krx.calendar import KST
from tests.support.clock import FakeTime

#: A Wednesday, mid-session (KRX trading day).
SESSION_NOW = datetime(2025, 11, 26, 11, 17, 30, tzinfo=KST)

TR_GROUPS: dict[str, str] = {
    "ka10001": "stkinfo",
    "ka10095": "stkinfo",
    "ka10099": "stkinfo",
    "ka10004": "mrkcond",
    "ka10007": "mrkcond",
    "ka10080": "chart",
    "ka10081": "chart",
    "kt00001": "acnt",
    "kt00004": "acnt",
    "kt00018": "acnt",
}

SAMPLE_BODIES: dict[str, dict[str, str]] = {
    "ka10001": {"stk_cd": "005930"},
    "ka10095": {"stk_cd": "005930|000660"},
    "ka10099": {"mrkt_tp": "0"},
    "ka10004": {"stk_cd": "005930"},
    "ka10007": {"stk_cd": "005930"},
    "ka10080": {"stk_cd": "005930", "tic_scope": "1", "upd_stkpc_tp": "1"},
    "ka10081": {"stk_cd": "005930", "base_dt": "20251126", "upd_stkpc_tp": "1"},
    "kt00001": {"qry_tp": "3"},
    "kt00004": {"qry_tp": "0", "dmst_stex_tp": "KRX"},
    "kt00018": {"qry_tp": "1", "dmst_stex_tp": "KRX"},
}


class FakeClock(FakeTime):
    """The tests' one fake clock (:class:`FakeTime`), started at ``SESSION_NOW``, the day these fixtures describe."""

    def __init__(self, start: datetime = SESSION_NOW) -> None:
        super().__init__(start.timestamp())


def make_client(config: FakeKiwoomConfig | None = None, clock: FakeClock | None = None) -> tuple[TestClient, FakeClock]:
    clock = clock or FakeClock()
    return TestClient(create_app(config, clock=clock)), clock


def issue_token(client: TestClient, appkey: str = "app-key", secretkey: str = "secret-key") -> str:
    response = client.post(
        "/oauth2/token", json={"grant_type": "client_credentials", "appkey": appkey, "secretkey": secretkey}
    )
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert isinstance(token, str)
    return token


def call_tr(
    client: TestClient,
    token: str | None,
    api_id: str,
    body: Any,
    *,
    group: str | None = None,
    cont_yn: str | None = None,
    next_key: str | None = None,
) -> httpx2.Response:
    headers = {"Content-Type": "application/json;charset=UTF-8", "api-id": api_id}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    if cont_yn is not None:
        headers["cont-yn"] = cont_yn
    if next_key is not None:
        headers["next-key"] = next_key
    path = f"/api/dostk/{group or TR_GROUPS.get(api_id, 'stkinfo')}"
    if isinstance(body, bytes | str):
        return client.post(path, content=body, headers=headers)
    return client.post(path, json=body, headers=headers)


def unlimited() -> FakeKiwoomConfig:
    return FakeKiwoomConfig(rate_limit_per_s=0)


def bracket_code(body: dict[str, Any]) -> int:
    """The detail code inside ``return_msg``'s brackets, as clients parse it."""
    import re

    match = re.search(r"\[(\d{3,5}):", body["return_msg"])
    assert match, body
    return int(match.group(1))
