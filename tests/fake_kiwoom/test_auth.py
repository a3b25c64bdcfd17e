"""Token issue, validation errors, revoke and expiry on the injected clock."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from fake_kiwoom import FakeKiwoomConfig
from krx.calendar import KST
from tests.support.fake import SESSION_NOW, bracket_code, call_tr, issue_token, make_client, unlimited

KEYS = {"good-key": "good-secret"}


def test_token_has_kiwoom_fields_and_kst_expiry() -> None:
    client, _ = make_client(FakeKiwoomConfig(token_lifetime_s=3600))
    response = client.post("/oauth2/token", json={"grant_type": "client_credentials", "appkey": "k", "secretkey": "s"})
    body = response.json()
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert set(body) == {"expires_dt", "token_type", "token", "return_code", "return_msg"}
    assert body["token_type"] == "bearer"
    assert body["return_code"] == 0
    assert body["return_msg"] == "정상적으로 처리되었습니다"
    assert re.fullmatch(r"\d{14}", body["expires_dt"])
    expected = (SESSION_NOW + timedelta(hours=1)).astimezone(KST).strftime("%Y%m%d%H%M%S")
    assert body["expires_dt"] == expected


def test_tokens_are_distinct() -> None:
    client, _ = make_client()
    assert issue_token(client) != issue_token(client)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"appkey": "good-key", "secretkey": "good-secret"}, 8011),
        ({"grant_type": "", "appkey": "good-key", "secretkey": "good-secret"}, 8011),
        ({"grant_type": "password", "appkey": "good-key", "secretkey": "good-secret"}, 8012),
        ({"grant_type": "client_credentials", "secretkey": "good-secret"}, 8020),
        ({"grant_type": "client_credentials", "appkey": "", "secretkey": "good-secret"}, 8020),
        ({"grant_type": "client_credentials", "appkey": "good-key", "secretkey": ""}, 8020),
        ({"grant_type": "client_credentials", "appkey": "other", "secretkey": "good-secret"}, 8001),
        ({"grant_type": "client_credentials", "appkey": "good-key", "secretkey": "wrong"}, 8002),
    ],
)
def test_token_errors(payload: dict[str, str], code: int) -> None:
    client, _ = make_client(FakeKiwoomConfig(app_keys=KEYS))
    response = client.post("/oauth2/token", json=payload)
    body = response.json()
    assert response.status_code == 200
    assert body["return_code"] == 3
    assert bracket_code(body) == code
    assert "token" not in body


def test_configured_keys_issue_tokens() -> None:
    client, _ = make_client(FakeKiwoomConfig(app_keys=KEYS))
    assert issue_token(client, "good-key", "good-secret")


def test_token_body_must_be_json() -> None:
    client, _ = make_client()
    response = client.post("/oauth2/token", content=b"grant_type=client_credentials")
    assert response.status_code == 400
    assert bracket_code(response.json()) == 1517


def test_revoke_invalidates_token() -> None:
    client, _ = make_client(unlimited())
    token = issue_token(client)
    assert call_tr(client, token, "ka10001", {"stk_cd": "005930"}).json()["return_code"] == 0
    response = client.post("/oauth2/revoke", json={"appkey": "app-key", "secretkey": "secret-key", "token": token})
    assert response.status_code == 200
    assert response.json() == {"return_code": 0, "return_msg": "정상적으로 처리되었습니다"}
    after = call_tr(client, token, "ka10001", {"stk_cd": "005930"})
    assert after.status_code == 200
    assert after.json()["return_code"] == 3
    assert bracket_code(after.json()) == 8005


def test_revoke_unknown_token_is_8016() -> None:
    client, _ = make_client()
    response = client.post("/oauth2/revoke", json={"appkey": "a", "secretkey": "b", "token": "nope"})
    assert bracket_code(response.json()) == 8016
    assert response.json()["return_code"] == 3


def test_revoke_twice_fails_second_time() -> None:
    client, _ = make_client()
    token = issue_token(client)
    payload = {"appkey": "app-key", "secretkey": "secret-key", "token": token}
    assert client.post("/oauth2/revoke", json=payload).json()["return_code"] == 0
    assert bracket_code(client.post("/oauth2/revoke", json=payload).json()) == 8016


def test_revoke_needs_keys() -> None:
    client, _ = make_client()
    response = client.post("/oauth2/revoke", json={"token": "x"})
    assert bracket_code(response.json()) == 8020


def test_token_expires_on_the_injected_clock() -> None:
    client, clock = make_client(FakeKiwoomConfig(token_lifetime_s=600, rate_limit_per_s=0))
    token = issue_token(client)
    clock.advance(599)
    assert call_tr(client, token, "ka10001", {"stk_cd": "005930"}).json()["return_code"] == 0
    clock.advance(1)
    response = call_tr(client, token, "ka10001", {"stk_cd": "005930"})
    assert response.status_code == 200
    assert response.json() == {"return_code": 3, "return_msg": "인증에 실패했습니다[8005:Token이 유효하지 않습니다]"}


def test_expires_dt_matches_real_expiry() -> None:
    client, clock = make_client(FakeKiwoomConfig(token_lifetime_s=86400, rate_limit_per_s=0))
    response = client.post("/oauth2/token", json={"grant_type": "client_credentials", "appkey": "k", "secretkey": "s"})
    expires = datetime.strptime(response.json()["expires_dt"], "%Y%m%d%H%M%S").replace(tzinfo=KST)
    assert expires.timestamp() == pytest.approx(clock.now + 86400, abs=1)
