"""Every TR error the fake produces: status, category, bracket code, and check order."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from fake_kiwoom import FakeKiwoomConfig, create_app
from tests.support.fake import FakeClock, bracket_code, call_tr, issue_token, make_client, unlimited


@pytest.fixture
def client() -> TestClient:
    client, _ = make_client(unlimited())
    return client


@pytest.fixture
def token(client: TestClient) -> str:
    return issue_token(client)


def _assert_error(response: Any, status: int, category: int, code: int) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == status, body
    assert set(body) == {"return_code", "return_msg"}
    assert body["return_code"] == category
    assert bracket_code(body) == code
    assert "Traceback" not in body["return_msg"]
    return body


def test_missing_api_id_is_1501(client: TestClient, token: str) -> None:
    response = client.post(
        "/api/dostk/stkinfo", json={"stk_cd": "005930"}, headers={"authorization": f"Bearer {token}"}
    )
    _assert_error(response, 400, 1, 1501)


@pytest.mark.parametrize("api_id", ["ka99999", "kt10000", "ka10016"])
def test_unknown_api_id_is_1505(client: TestClient, token: str, api_id: str) -> None:
    _assert_error(call_tr(client, token, api_id, {"stk_cd": "005930"}, group="stkinfo"), 400, 1, 1505)


@pytest.mark.parametrize(("api_id", "group"), [("ka10001", "chart"), ("ka10081", "stkinfo"), ("kt00018", "rkinfo")])
def test_known_tr_at_wrong_path_is_1504(client: TestClient, token: str, api_id: str, group: str) -> None:
    body = _assert_error(call_tr(client, token, api_id, {"stk_cd": "005930"}, group=group), 400, 1, 1504)
    assert f"API ID={api_id}" in body["return_msg"]
    assert f"URI=/api/dostk/{group}" in body["return_msg"]


def test_unknown_api_id_wins_over_path(client: TestClient) -> None:
    _assert_error(call_tr(client, None, "ka00000", {}, group="chart"), 400, 1, 1505)


def test_missing_authorization_is_1513(client: TestClient) -> None:
    _assert_error(call_tr(client, None, "ka10001", {"stk_cd": "005930"}), 401, 3, 1513)


@pytest.mark.parametrize("header", ["Token abc", "Bearer", "Bearer   ", "abc"])
def test_malformed_authorization_is_1514(client: TestClient, header: str) -> None:
    response = client.post(
        "/api/dostk/stkinfo", json={"stk_cd": "005930"}, headers={"api-id": "ka10001", "authorization": header}
    )
    _assert_error(response, 401, 3, 1514)


def test_unknown_token_is_8005_with_http_200(client: TestClient) -> None:
    body = _assert_error(call_tr(client, "forged", "ka10001", {"stk_cd": "005930"}), 200, 3, 8005)
    assert body["return_msg"] == "인증에 실패했습니다[8005:Token이 유효하지 않습니다]"


def test_bearer_scheme_is_case_insensitive(client: TestClient, token: str) -> None:
    response = client.post(
        "/api/dostk/stkinfo",
        json={"stk_cd": "005930"},
        headers={"api-id": "ka10001", "authorization": f"bearer {token}"},
    )
    assert response.json()["return_code"] == 0


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'"005930"', b"\xff\xfe", b'{"stk_cd": ["005930"]}'])
def test_body_that_is_not_a_json_object_is_1517(client: TestClient, token: str, raw: bytes) -> None:
    body = _assert_error(call_tr(client, token, "ka10001", raw), 400, 2, 1517)
    assert "JSON" in body["return_msg"] or "문자열" in body["return_msg"]


@pytest.mark.parametrize(
    ("api_id", "body", "field"),
    [
        ("ka10001", {}, "stk_cd"),
        ("ka10001", {"stk_cd": ""}, "stk_cd"),
        ("ka10004", {"stk_cd": "  "}, "stk_cd"),
        ("ka10099", {}, "mrkt_tp"),
        ("ka10080", {"stk_cd": "005930", "upd_stkpc_tp": "1"}, "tic_scope"),
        ("ka10081", {"stk_cd": "005930", "upd_stkpc_tp": "1"}, "base_dt"),
        ("kt00001", {}, "qry_tp"),
        ("kt00004", {"qry_tp": "0"}, "dmst_stex_tp"),
        ("kt00018", {"dmst_stex_tp": "KRX"}, "qry_tp"),
    ],
)
def test_missing_required_field_is_1511(
    client: TestClient, token: str, api_id: str, body: dict[str, str], field: str
) -> None:
    result = _assert_error(call_tr(client, token, api_id, body), 200, 2, 1511)
    assert result["return_msg"].endswith(f"[1511:필수 입력 값에 값이 존재하지 않습니다. 필수입력 파라미터={field}]")


@pytest.mark.parametrize("api_id", ["ka10001", "ka10004", "ka10080", "ka10081"])  # ka10007: blank, not an error
def test_unknown_stock_is_1902(client: TestClient, token: str, api_id: str) -> None:
    body = {"stk_cd": "999999", "tic_scope": "1", "base_dt": "20251126", "upd_stkpc_tp": "1"}
    result = _assert_error(call_tr(client, token, api_id, body), 200, 2, 1902)
    assert "종목 정보가 없습니다" in result["return_msg"]


@pytest.mark.parametrize("mrkt_tp", ["KOSPI", "x", "-1", "77"])
def test_bad_market_code_is_1901(client: TestClient, token: str, mrkt_tp: str) -> None:
    _assert_error(call_tr(client, token, "ka10099", {"mrkt_tp": mrkt_tp}), 200, 2, 1901)


@pytest.mark.parametrize(
    ("api_id", "body"),
    [
        ("ka10080", {"stk_cd": "005930", "tic_scope": "2", "upd_stkpc_tp": "1"}),
        ("ka10081", {"stk_cd": "005930", "base_dt": "2025-11-26", "upd_stkpc_tp": "1"}),
        ("ka10081", {"stk_cd": "005930", "base_dt": "20251332", "upd_stkpc_tp": "1"}),
        ("ka10081", {"stk_cd": "005930", "base_dt": "20251126", "upd_stkpc_tp": "7"}),
        ("kt00004", {"qry_tp": "0", "dmst_stex_tp": "NYSE"}),
        ("ka10095", {"stk_cd": "|".join(["005930"] * 101)}),
    ],
)
def test_invalid_input_values_are_1517(client: TestClient, token: str, api_id: str, body: dict[str, str]) -> None:
    _assert_error(call_tr(client, token, api_id, body), 400, 2, 1517)


def test_rate_limit_is_1700_with_http_429() -> None:
    client, _ = make_client(FakeKiwoomConfig(rate_limit_per_s=1, rate_limit_burst=2))
    token = issue_token(client)
    for _ in range(2):
        assert call_tr(client, token, "ka10001", {"stk_cd": "005930"}).json()["return_code"] == 0
    response = call_tr(client, token, "ka10001", {"stk_cd": "005930"})
    body = _assert_error(response, 429, 5, 1700)
    assert (
        body["return_msg"]
        == "허용된 요청 개수를 초과하였습니다[1700:허용된 요청 개수를 초과하였습니다. API ID=ka10001]"
    )
    assert "retry-after" not in response.headers


def test_unknown_route_is_json_404(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["return_code"] == 1


def test_unknown_group_is_json_404(client: TestClient, token: str) -> None:
    response = call_tr(client, token, "ka10001", {"stk_cd": "005930"}, group="nosuchgroup")
    assert response.status_code == 404


def test_wrong_method_is_json_405(client: TestClient) -> None:
    response = client.get("/api/dostk/stkinfo")
    assert response.status_code == 405
    assert "return_msg" in response.json()


def test_unexpected_exception_becomes_1999(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    app = create_app(unlimited(), clock=clock)
    client = TestClient(app)
    token = issue_token(client)

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(app.state.market, "quote", boom)
    response = call_tr(client, token, "ka10001", {"stk_cd": "005930"})
    assert response.status_code == 500
    assert bracket_code(response.json()) == 1999
    assert "synthetic failure" not in response.text
