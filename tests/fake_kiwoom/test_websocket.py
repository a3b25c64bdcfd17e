"""The fake's real-time WebSocket: LOGIN, PING, REG/REMOVE and REAL pushes (in process, short intervals)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from fake_kiwoom import create_app
from fake_kiwoom.listings import LISTINGS
from fake_kiwoom.venues import find_venue
from fake_kiwoom.websocket import WS_PATH, WsSettings
from fake_kiwoom.ws_frames import operation_item
from krx.calendar import KST, KrxCalendar
from tests.support.fake import FakeClock, bracket_code, call_tr, issue_token, unlimited

FAST = WsSettings(ping_interval_s=60.0, push_interval_s=0.01)


def make_ws_client(settings: WsSettings = FAST) -> tuple[TestClient, FakeClock]:
    clock = FakeClock()
    app = create_app(unlimited(), clock=clock)
    app.state.ws_settings = settings
    return TestClient(app), clock


@pytest.fixture
def client() -> Iterator[TestClient]:
    c, _ = make_ws_client()
    with c:
        yield c


def login(ws: Any, token: str) -> dict[str, Any]:
    ws.send_json({"trnm": "LOGIN", "token": token})
    answer: dict[str, Any] = ws.receive_json()
    return answer


def reg(ws: Any, items: list[str], types: list[str], *, trnm: str = "REG", grp: str = "1", refresh: str = "1") -> Any:
    """Send REG/REMOVE and return its answer, skipping pushes sent before it (they predate the change)."""
    ws.send_json({"trnm": trnm, "grp_no": grp, "refresh": refresh, "data": [{"item": items, "type": types}]})
    while True:
        answer = ws.receive_json()
        if answer["trnm"] != "REAL":
            return answer


def next_real(ws: Any) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = ws.receive_json()
        if frame["trnm"] == "REAL":
            return frame


def test_login_ok_and_journalled(client: TestClient) -> None:
    token = issue_token(client)
    with client.websocket_connect(WS_PATH) as ws:
        answer = login(ws, token)
    assert answer["trnm"] == "LOGIN"
    assert answer["return_code"] == 0
    entries = [e for e in client.app.state.journal.entries() if e.path == WS_PATH]  # type: ignore[attr-defined]
    assert [(e.api_id, e.status, e.return_code, e.detail_code) for e in entries] == [
        ("LOGIN", 101, 0, None),
        ("CLOSE", 101, None, 1000),  # the client closed normally
    ]


def test_bad_token_gets_8005_and_is_closed(client: TestClient) -> None:
    with client.websocket_connect(WS_PATH) as ws:
        answer = login(ws, "not-a-token")
        assert answer["trnm"] == "LOGIN"
        assert answer["return_code"] != 0
        assert bracket_code(answer) == 8005
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()


def test_expired_token_is_refused() -> None:
    c, clock = make_ws_client()
    with c:
        token = issue_token(c)
        clock.advance(86400 + 1)
        with c.websocket_connect(WS_PATH) as ws:
            assert bracket_code(login(ws, token)) == 8005


def test_bearer_header_logs_in_and_bad_header_closes(client: TestClient) -> None:
    token = issue_token(client)
    with client.websocket_connect(WS_PATH, headers={"authorization": f"Bearer {token}"}) as ws:
        assert reg(ws, ["005930"], ["0B"])["return_code"] == 0
    with client.websocket_connect(WS_PATH, headers={"authorization": "Bearer nope"}) as ws:
        assert bracket_code(ws.receive_json()) == 8005
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()


def test_reg_before_login_is_refused(client: TestClient) -> None:
    with client.websocket_connect(WS_PATH) as ws:
        assert bracket_code(reg(ws, ["005930"], ["0B"])) == 8005
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()


def test_ping_arrives_and_silent_client_is_disconnected() -> None:
    c, _ = make_ws_client(WsSettings(ping_interval_s=0.2, push_interval_s=60.0))
    with c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            assert ws.receive_json() == {"trnm": "PING"}
            ws.send_json({"trnm": "PING"})  # echoed: the next PING comes, not a close
            assert ws.receive_json() == {"trnm": "PING"}
            notice = ws.receive_json()  # not echoed this time: the live server's notice, then the close
            assert (notice["trnm"], notice["code"]) == ("SYSTEM", "R10002")
            with pytest.raises(WebSocketDisconnect):
                ws.receive_json()
        pings = [e for e in c.app.state.journal.entries() if e.api_id == "PING"]  # type: ignore[attr-defined]
        assert len(pings) == 1


def test_real_0b_matches_ka10001_at_the_same_clock(client: TestClient) -> None:
    token = issue_token(client)
    with client.websocket_connect(WS_PATH) as ws:
        login(ws, token)
        assert reg(ws, ["005930"], ["0B"]) == {"trnm": "REG", "return_code": 0, "return_msg": ""}
        real = next_real(ws)
    [entry] = real["data"]
    assert (entry["type"], entry["name"], entry["item"]) == ("0B", "주식체결", "005930")
    values = entry["values"]
    ka10001 = call_tr(client, token, "ka10001", {"stk_cd": "005930"}).json()
    assert values["10"] == ka10001["cur_prc"]
    assert values["10"].lstrip("+-") == ka10001["cur_prc"].lstrip("+-")
    assert values["11"] == ka10001["pred_pre"]
    assert values["12"] == ka10001["flu_rt"]
    assert values["13"] == ka10001["trde_qty"]
    assert values["25"] == ka10001["pre_sig"]
    assert (values["16"], values["17"], values["18"]) == (
        ka10001["open_pric"],
        ka10001["high_pric"],
        ka10001["low_pric"],
    )
    assert values["20"] == "111730"
    expected = {"20", "10", "11", "12", "27", "28", "15", "13", "14", "16", "17", "18", "25", "228"}
    assert set(values) == expected


def test_real_0d_has_the_book_of_ka10004(client: TestClient) -> None:
    token = issue_token(client)
    with client.websocket_connect(WS_PATH) as ws:
        login(ws, token)
        reg(ws, ["005930"], ["0D"])
        [entry] = next_real(ws)["data"]
    values = entry["values"]
    ka10004 = call_tr(client, token, "ka10004", {"stk_cd": "005930"}).json()
    assert values["41"] == ka10004["sel_fpr_bid"]
    assert values["51"] == ka10004["buy_fpr_bid"]
    assert values["61"] == ka10004["sel_fpr_req"]
    assert values["71"] == ka10004["buy_fpr_req"]
    assert values["121"] == ka10004["tot_sel_req"]
    assert values["125"] == ka10004["tot_buy_req"]
    expected = {"21", "121", "125"} | {str(i) for i in range(41, 81)}
    assert set(values) == expected


def test_remove_stops_pushes(client: TestClient) -> None:
    token = issue_token(client)
    with client.websocket_connect(WS_PATH) as ws:
        login(ws, token)
        reg(ws, ["005930", "000660"], ["0B"])
        assert {d["item"] for d in next_real(ws)["data"]} == {"005930", "000660"}
        answer = reg(ws, ["005930"], ["0B"], trnm="REMOVE")
        assert answer == {"trnm": "REMOVE", "return_code": 0, "return_msg": ""}
        assert {d["item"] for d in next_real(ws)["data"]} == {"000660"}
        assert reg(ws, ["000660"], ["0B"], trnm="REMOVE")["return_code"] == 0
        time.sleep(0.05)  # several push intervals: nothing is registered, so nothing comes
        ws.send_json({"trnm": "REG", "grp_no": "1", "data": [{"item": ["999999"], "type": ["0B"]}]})
        assert bracket_code(ws.receive_json()) == 1902  # the very next frame is this answer, not a push


def test_refresh_zero_replaces_refresh_one_keeps(client: TestClient) -> None:
    token = issue_token(client)
    with client.websocket_connect(WS_PATH) as ws:
        login(ws, token)
        reg(ws, ["005930"], ["0B"])
        reg(ws, ["000660"], ["0B"], refresh="1")
        assert {d["item"] for d in next_real(ws)["data"]} == {"005930", "000660"}
        assert reg(ws, ["035420"], ["0B"], refresh="0")["return_code"] == 0
        assert {d["item"] for d in next_real(ws)["data"]} == {"035420"}


@pytest.mark.parametrize(
    ("items", "types", "code"),
    [(["005930"], ["ZZ"], 1517), (["005930"], ["0C"], 1517), (["999999"], ["0B"], 1902)],
)
def test_unknown_type_or_code_is_an_error(client: TestClient, items: list[str], types: list[str], code: int) -> None:
    token = issue_token(client)
    with client.websocket_connect(WS_PATH) as ws:
        login(ws, token)
        answer = reg(ws, items, types)
        assert answer["trnm"] == "REG"
        assert answer["return_code"] != 0
        assert bracket_code(answer) == code
        ws.send_json({"trnm": "REG", "refresh": "1", "data": [{"item": ["005930"], "type": ["0B"]}]})
        assert bracket_code(ws.receive_json()) == 1511  # grp_no missing


def test_a_group_holds_100_items_and_the_101st_is_refused() -> None:
    c, _ = make_ws_client(WsSettings(ping_interval_s=60.0, push_interval_s=60.0))
    codes = [item.code for item in LISTINGS[:101]]
    with c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            assert reg(ws, codes[:60], ["0B", "0D"])["return_code"] == 0  # 60 items, two types each
            assert reg(ws, codes[60:100], ["0B"])["return_code"] == 0
            over = reg(ws, codes[100:], ["0B"])
            assert bracket_code(over) == 1517
            assert "그룹당 최대=100" in over["return_msg"]
            assert reg(ws, codes[100:], ["0B"], grp="2")["return_code"] == 0  # another group has room
            assert reg(ws, codes[:1], ["0B"], refresh="0")["return_code"] == 0  # replaces group 1


def test_at_most_20_groups_per_connection() -> None:
    c, _ = make_ws_client(WsSettings(ping_interval_s=60.0, push_interval_s=60.0))
    with c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            for group in range(20):
                assert reg(ws, ["005930"], ["0B"], grp=str(group))["return_code"] == 0
            over = reg(ws, ["005930"], ["0B"], grp="20")
            assert bracket_code(over) == 1517
            assert "그룹 수" in over["return_msg"]
            assert reg(ws, ["000660"], ["0B"], grp="19")["return_code"] == 0  # an existing group still grows


def test_every_item_of_the_fake_fits_on_one_socket() -> None:
    items = [code + suffix for code in (item.code for item in LISTINGS) for suffix in ("", "_AL", "_NX")]
    items = [item for item in items if find_venue(item) is not None]
    assert len(items) > 900
    c, _ = make_ws_client(WsSettings(ping_interval_s=60.0, push_interval_s=60.0))
    with c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            for start in range(0, len(items), 100):
                assert reg(ws, items[start : start + 100], ["0B", "0D"], grp=str(start))["return_code"] == 0


def test_a_push_of_many_pairs_is_chunked_into_frames() -> None:
    c, _ = make_ws_client(WsSettings(ping_interval_s=60.0, push_interval_s=0.01, frame_items=2))
    codes = ["005930", "000660", "035420", "005380", "051910"]
    with c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            reg(ws, codes, ["0B"])
            frames = [next_real(ws)["data"] for _ in range(3)]  # one push
    assert [len(data) for data in frames] == [2, 2, 1]
    assert [d["item"] for data in frames for d in data] == codes


def test_pushes_follow_a_virtual_clock_through_the_app_sleep() -> None:
    clock = FakeClock()

    async def virtual_sleep(seconds: float) -> None:
        """Push intervals pass on the fake clock at once; the (hour-long) PING interval never comes here."""
        if seconds >= 3600:
            await asyncio.sleep(seconds)
            return
        clock.advance(seconds)
        await asyncio.sleep(0.001)

    app = create_app(unlimited(), clock=clock, sleep=virtual_sleep)
    app.state.ws_settings = WsSettings(ping_interval_s=3600.0, push_interval_s=60.0)
    with TestClient(app) as c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            reg(ws, ["005930"], ["0B"])
            first = next_real(ws)["data"][0]["values"]
            second = next_real(ws)["data"][0]["values"]
    assert int(second["20"]) - int(first["20"]) == 100  # one minute later on the virtual clock (HHMMSS)
    assert int(second["13"]) >= int(first["13"])
    assert second["15"].lstrip("+-") == str(int(second["13"]) - int(first["13"]))


# --- 0s 장시작시간 ---------------------------------------------------------------------


def test_0s_pushes_the_current_state_when_registered(client: TestClient) -> None:
    token = issue_token(client)
    with client.websocket_connect(WS_PATH) as ws:
        login(ws, token)
        assert reg(ws, [""], ["0s"])["return_code"] == 0
        [entry] = next_real(ws)["data"]
    assert (entry["type"], entry["name"], entry["item"]) == ("0s", "장시작시간", "")
    assert entry["values"] == {"215": "3", "20": "090000", "214": "000000"}  # Wednesday 11:17:30: open since 09:00


@pytest.mark.parametrize(
    "block", [{"type": ["0s"]}, {"item": "", "type": ["0s"]}, {"item": ["005930"], "type": ["0s"]}]
)
def test_0s_takes_no_item_or_any_item(client: TestClient, block: dict[str, Any]) -> None:
    token = issue_token(client)
    with client.websocket_connect(WS_PATH) as ws:
        login(ws, token)
        ws.send_json({"trnm": "REG", "grp_no": "1", "refresh": "1", "data": [block]})
        assert ws.receive_json()["return_code"] == 0
        assert [d["item"] for d in next_real(ws)["data"]] == [""]


def test_0s_is_pushed_again_only_when_the_operation_code_changes() -> None:
    c, clock = make_ws_client()
    with c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            reg(ws, [""], ["0s"])
            assert next_real(ws)["data"][0]["values"]["215"] == "3"
            reg(ws, ["005930"], ["0B"])
            assert all(d["type"] == "0B" for _ in range(3) for d in next_real(ws)["data"])
            clock.now = datetime(2025, 11, 26, 15, 20, 5, tzinfo=KST).timestamp()  # the closing auction
            while (frame := next_real(ws))["data"][0]["type"] != "0s":
                pass
    assert frame["data"][0]["values"] == {"215": "2", "20": "152000", "214": "000000"}
    assert [d["type"] for d in frame["data"]] == ["0s", "0B"]


@pytest.mark.parametrize(
    ("day", "hhmm", "expected"),
    [
        (26, "0700", ("d", "180000", "020000")),  # before the pre-open: yesterday's last announcement
        (26, "0845", ("0", "083000", "001500")),
        (26, "0900", ("3", "090000", "000000")),
        (26, "1525", ("2", "152000", "000000")),
        (26, "1535", ("4", "153000", "000000")),
        (26, "1545", ("a", "154000", "000000")),
        (26, "1630", ("c", "160000", "000000")),
        (26, "1900", ("d", "180000", "000000")),
        (29, "1000", ("d", "180000", "000000")),  # a Saturday
    ],
)
def test_market_operation_follows_the_krx_sessions(day: int, hhmm: str, expected: tuple[str, str, str]) -> None:
    now = datetime(2025, 11, day, int(hhmm[:2]), int(hhmm[2:]), tzinfo=KST).timestamp()
    values = operation_item(KrxCalendar(), now)["values"]
    assert isinstance(values, dict)
    assert (values["215"], values["20"], values["214"]) == expected
