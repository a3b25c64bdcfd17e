"""Stream faults of the fake's WebSocket (the scenario's ``stream:`` block), one behaviour per test.

Sockets run in process (Starlette's TestClient) with short real intervals. Where a test
must tell frames apart, the clock runs 1,000 times faster than real time, so each push
carries a different time (field 20) and a frame can be placed against the journal's
STALL/STALL_END stamps without measuring wall-clock speed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from fake_kiwoom import ScenarioError, create_app, parse_scenario
from fake_kiwoom.faults import Sleep
from fake_kiwoom.journal import JournalEntry
from fake_kiwoom.websocket import WS_PATH, WsSettings
from kiwoom_lab.loopback import serve
from krx.calendar import KST
from tests.fake_kiwoom.test_websocket import login, next_real, reg
from tests.support.fake import FakeClock, bracket_code, call_tr, issue_token, unlimited

PUSHING = WsSettings(ping_interval_s=60.0, push_interval_s=0.01)
QUIET = WsSettings(ping_interval_s=60.0, push_interval_s=60.0)


class RunningClock(FakeClock):
    """Market time from ``SESSION_NOW`` running ``speed`` times faster than real time."""

    def __init__(self, speed: float = 1000.0) -> None:
        super().__init__()
        self.speed, self._origin, self._real = speed, self.now, time.monotonic()

    def __call__(self) -> float:
        return self._origin + (time.monotonic() - self._real) * self.speed


def faulty(
    stream: str,
    settings: WsSettings = PUSHING,
    *,
    clock: Callable[[], float] | None = None,
    sleep: Sleep | None = None,
) -> TestClient:
    """The fake with a scenario whose only content is ``stream: {stream}``."""
    app = create_app(unlimited(), clock=clock or FakeClock(), sleep=sleep)
    app.state.ws_settings = settings
    app.state.engine.load(parse_scenario(f"version: 1\nname: ws\ndescription: d\nstream: {stream}\n"))
    return TestClient(app)


def journal(client: TestClient, api_id: str | None = None) -> list[JournalEntry]:
    entries: list[JournalEntry] = client.app.state.journal.entries()  # type: ignore[attr-defined]
    return [e for e in entries if e.path == WS_PATH and (api_id is None or e.api_id == api_id)]


def wait_for(client: TestClient, api_id: str) -> JournalEntry:
    deadline = time.monotonic() + 3.0
    while not (found := journal(client, api_id)):
        assert time.monotonic() < deadline, f"no {api_id} in the journal"
        time.sleep(0.005)
    return found[0]


def near(values: list[float], target: float) -> int:
    """How many of ``values`` equal ``target`` up to float noise."""
    return sum(1 for value in values if abs(value - target) < 1e-9)


def seconds_of_day(hhmmss: str) -> int:
    return int(hhmmss[:2]) * 3600 + int(hhmmss[2:4]) * 60 + int(hhmmss[4:])


def at(ts: float) -> float:
    kst = datetime.fromtimestamp(ts, KST)
    return kst.hour * 3600 + kst.minute * 60 + kst.second + kst.microsecond / 1e6


def tick_time(frame: dict[str, Any]) -> str:
    return str(frame["data"][0]["values"]["20"])


def test_drop_after_messages_closes_abruptly_and_the_next_connection_behaves() -> None:
    with faulty("{drop_after_messages: 3}") as c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            reg(ws, ["005930"], ["0B"])
            for _ in range(3):
                next_real(ws)
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
        assert closed.value.code == 1006
        with c.websocket_connect(WS_PATH) as ws:  # connections: 1 (the default), so this one behaves
            login(ws, token)
            reg(ws, ["005930"], ["0B"])
            for _ in range(5):
                next_real(ws)
        [drop] = journal(c, "DROP")
        assert (drop.fault, drop.detail_code) == ("drop", 1006)
        closes = [(e.fault, e.detail_code) for e in journal(c, "CLOSE")]
        assert closes == [("drop", 1006), (None, 1000)]


def test_drop_after_seconds_uses_the_given_close_code() -> None:
    with faulty("{drop_after_s: 0.05, drop_code: 1011}", QUIET) as c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
        assert closed.value.code == 1011
        assert [e.detail_code for e in journal(c, "DROP")] == [1011]


def test_connections_null_drops_every_connection() -> None:
    with faulty("{drop_after_s: 0.02, connections: null}", QUIET) as c:
        token = issue_token(c)
        for _ in range(3):
            with c.websocket_connect(WS_PATH) as ws:
                login(ws, token)
                with pytest.raises(WebSocketDisconnect):
                    ws.receive_json()
        assert len(journal(c, "DROP")) == 3
        stream = c.get("/__admin/scenario").json()["stream"]
        assert stream == {"default": {"faulty_connections": 3, "refused_regs": 0}}


def test_faulty_connections_are_counted_per_session() -> None:
    with faulty("{drop_after_s: 0.02}", QUIET) as c:
        token = issue_token(c)
        for session in ("a", "b"):
            with c.websocket_connect(WS_PATH, headers={"x-fake-session": session}) as ws:
                login(ws, token)
                with pytest.raises(WebSocketDisconnect):
                    ws.receive_json()
        assert sorted(e.session for e in journal(c, "DROP")) == ["a", "b"]


def test_stall_sends_nothing_ignores_frames_and_then_resumes() -> None:
    settings = WsSettings(ping_interval_s=0.1, push_interval_s=0.01)  # unanswered PINGs would close in 0.2 s
    with faulty("{stall_after_s: 0.05, stall_for_s: 0.4}", settings, clock=RunningClock()) as c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            reg(ws, ["005930"], ["0B"])
            stall = wait_for(c, "STALL")
            ws.send_json({"trnm": "REG", "grp_no": "1", "data": [{"item": ["000660"], "type": ["0B"]}]})
            frames: list[dict[str, Any]] = []
            while True:  # until a tick built after the stall arrives (the socket survived it)
                frames.append(frame := ws.receive_json())
                end = journal(c, "STALL_END")
                if end and frame["trnm"] == "REAL" and seconds_of_day(tick_time(frame)) > at(end[0].ts) + 1:
                    break
        end_ts = journal(c, "STALL_END")[0].ts
    assert all(f["trnm"] in ("REAL", "PING") for f in frames)  # the REG sent in the stall got no answer
    times = [seconds_of_day(tick_time(f)) for f in frames if f["trnm"] == "REAL"]
    assert not [t for t in times if at(stall.ts) + 1 < t < at(end_ts) - 1]  # nothing built during the stall
    assert {d["item"] for f in frames if f["trnm"] == "REAL" for d in f["data"]} == {"005930"}
    [ignored] = [e for e in journal(c, "REG") if e.fault == "stall"]
    assert ignored.return_code is None
    assert stall.latency_ms == 400


def test_skip_pings_sends_no_ping_and_never_times_out() -> None:
    with faulty("{skip_pings: true}", WsSettings(ping_interval_s=0.02, push_interval_s=60.0)) as c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            wait_for(c, "PING_SKIPPED")
            time.sleep(0.1)  # several PING intervals: an unanswered PING would have closed the socket
            assert reg(ws, ["005930"], ["0B"]) == {"trnm": "REG", "return_code": 0, "return_msg": ""}
        assert len(journal(c, "PING_SKIPPED")) >= 2
        assert {e.fault for e in journal(c, "PING_SKIPPED")} == {"skip_pings"}


def test_refuse_reg_answers_an_error_the_given_number_of_times() -> None:
    with faulty("{refuse_reg: {code: 1700, times: 2}}", QUIET) as c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            assert bracket_code(reg(ws, ["005930"], ["0B"])) == 1700
        with c.websocket_connect(WS_PATH) as ws:  # counted per session, across connections
            login(ws, token)
            assert bracket_code(reg(ws, ["005930"], ["0B"])) == 1700
            assert reg(ws, ["005930"], ["0B"])["return_code"] == 0
            assert reg(ws, ["005930"], ["0B"], trnm="REMOVE")["return_code"] == 0
        refused = [(e.fault, e.detail_code) for e in journal(c, "REG")]
        assert refused == [("refuse_reg", 1700), ("refuse_reg", 1700), (None, None)]


def test_token_expiry_announces_8005_closes_and_revokes_the_token() -> None:
    with faulty("{token_expires_after_s: 0.05}", QUIET) as c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            notice = ws.receive_json()
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
        assert (notice["trnm"], notice["code"], bracket_code(notice)) == ("SYSTEM", "8005", 8005)
        assert closed.value.code == 1008
        assert bracket_code(call_tr(c, token, "ka10001", {"stk_cd": "005930"}).json()) == 8005
        with c.websocket_connect(WS_PATH) as ws:
            assert bracket_code(login(ws, token)) == 8005
        [expired] = journal(c, "TOKEN_EXPIRED")
        assert (expired.fault, expired.detail_code) == ("token_expiry", 8005)
        assert token not in str(journal(c))


def test_duplicate_every_sends_every_nth_frame_twice() -> None:
    with faulty("{duplicate_every: 3}", clock=RunningClock()) as c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            reg(ws, ["005930"], ["0B"])
            frames = [next_real(ws) for _ in range(8)]
        assert len(journal(c, "DUPLICATE")) >= 2
    times = [tick_time(f) for f in frames]
    assert frames[2] == frames[3]  # the 3rd frame twice
    assert frames[6] == frames[7]  # and the 6th
    assert len(set(times)) == 6


def test_out_of_order_every_resends_the_older_frame_after_the_newer() -> None:
    with faulty("{out_of_order_every: 3}", clock=RunningClock()) as c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            reg(ws, ["005930"], ["0B"])
            frames = [next_real(ws) for _ in range(5)]
        assert journal(c, "OUT_OF_ORDER")
    times = [tick_time(f) for f in frames]
    assert times[3] < times[2]  # the 3rd frame, then the 2nd again
    assert frames[3] == frames[1]
    assert times[4] > times[2]
    assert int(frames[3]["data"][0]["values"]["13"]) <= int(frames[2]["data"][0]["values"]["13"])


def test_burst_divides_the_push_interval_by_its_factor_in_its_window() -> None:
    sleeps: list[float] = []

    async def recording(seconds: float) -> None:
        sleeps.append(seconds)
        await asyncio.sleep(seconds)

    settings = WsSettings(ping_interval_s=60.0, push_interval_s=0.05)
    with faulty("{burst: {factor: 10, after_s: 0.02, for_s: 0.2}}", settings, sleep=recording) as c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            reg(ws, ["005930"], ["0B"])
            wait_for(c, "BURST_END")
            deadline = time.monotonic() + 3.0
            while near(sleeps, 0.05) < 2 and time.monotonic() < deadline:
                time.sleep(0.005)  # the push loop's next wait after the window
        assert [e.fault for e in journal(c) if e.api_id in ("BURST", "BURST_END")] == ["burst", "burst"]
    assert near(sleeps, 0.005)  # a push every 0.05 / 10 s while bursting
    assert near(sleeps, 0.05) >= 2  # before and after the window


def test_a_fault_free_scenario_leaves_the_stream_alone() -> None:
    app = create_app(unlimited(), clock=FakeClock())
    app.state.ws_settings = PUSHING
    app.state.engine.load(parse_scenario("version: 1\nname: rest\ndescription: d\nrules: []\n"))
    with TestClient(app) as c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as ws:
            login(ws, token)
            reg(ws, ["005930"], ["0B"])
            for _ in range(5):
                next_real(ws)
        assert [e.api_id for e in journal(c)] == ["LOGIN", "REG", "CLOSE"]


def test_admin_counts_open_sockets_and_logins() -> None:
    app = create_app(unlimited(), clock=FakeClock())
    with TestClient(app) as c:
        token = issue_token(c)
        with c.websocket_connect(WS_PATH) as first, c.websocket_connect(WS_PATH) as second:
            login(first, token)
            login(second, token)
            during = c.get("/__admin/websocket").json()
        with c.websocket_connect(WS_PATH) as bad:
            login(bad, "nope")
        after = c.get("/__admin/websocket").json()
    assert (during["open"], during["logins"]) == (2, 2)
    assert after == {
        "open": 0,
        "peak_open": 2,
        "connects": 3,
        "logins": 2,
        "login_failures": 1,
        "closes": {"1000": 2, "1008": 1},
    }


def test_a_1006_drop_over_a_real_socket_sends_no_close_frame() -> None:
    """Over uvicorn the connection is reset, as a network failure would: the client gets no close frame."""
    app = create_app(unlimited(), clock=FakeClock())
    app.state.ws_settings = QUIET
    app.state.engine.load(parse_scenario("version: 1\nname: ws\ndescription: d\nstream: {drop_after_s: 0.05}\n"))
    with serve(app) as base_url:
        body = {"grant_type": "client_credentials", "appkey": "app-key", "secretkey": "secret-key"}
        token = httpx2.post(f"{base_url}/oauth2/token", json=body).json()["token"]
        with connect(base_url.replace("http", "ws", 1) + WS_PATH, open_timeout=5) as ws:
            ws.send(json.dumps({"trnm": "LOGIN", "token": token}))
            assert json.loads(ws.recv(timeout=5))["return_code"] == 0
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
    assert closed.value.rcvd is None
    assert [e.detail_code for e in app.state.journal.entries() if e.api_id == "CLOSE"] == [1006]


# --- the stream block of the scenario schema ----------------------------------------------

ALL_KEYS = """{drop_after_messages: 20, drop_after_s: 5, drop_code: 1011, stall_after_s: 3, stall_for_s: 60,
  skip_pings: true, refuse_reg: {code: 1517, times: 1}, token_expires_after_s: 4, duplicate_every: 5,
  out_of_order_every: 7, burst: {factor: 50, after_s: 2, for_s: 3}, connections: 2}"""


def test_the_stream_block_takes_every_documented_key() -> None:
    stream = parse_scenario(f"version: 1\nname: ws\ndescription: d\nstream: {ALL_KEYS}\n").stream
    assert stream is not None
    assert (stream.drop_code, stream.burst and stream.burst.factor, stream.connections) == (1011, 50, 2)


@pytest.mark.parametrize(
    ("stream", "says"),
    [
        ("{dorp_after_s: 5}", "stream.dorp_after_s: Extra inputs are not permitted"),
        ("{burst: {factor: 1}}", "stream.burst.factor:"),
        ("{burst: {factor: 5, speed: 2}}", "stream.burst.speed: Extra inputs"),
        ("{refuse_reg: {code: 9999}}", "stream.refuse_reg.code:"),
        ("{out_of_order_every: 1}", "stream.out_of_order_every:"),
        ("{skip_pings: true, connections: 0}", "stream.connections:"),
        ("{drop_after_s: -1}", "stream.drop_after_s:"),
        ("{stall_for_s: 5}", "stream: stall_for_s needs stall_after_s"),
        ("{drop_code: 1011}", "stream: drop_code needs drop_after_messages or drop_after_s"),
        ("{}", "stream: the stream block names no fault"),
    ],
)
def test_stream_block_errors_name_the_file_and_path(stream: str, says: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(f"version: 1\nname: ws\ndescription: d\nstream: {stream}\n", "ws_lesson.yaml")
    assert str(info.value).startswith("ws_lesson.yaml: invalid scenario")
    assert says in str(info.value)
