"""Smoke tests of the load-test kit (bench/): the wire parser, the verdicts, the Starlette floor.

The load itself runs in CI as ``tox -e load -- --smoke``; these keep its pieces honest in
the default run without a socket. The locustfile is imported in a child process, because
importing locust monkey-patches this process with gevent.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest

from bench.floors import FLOOR_DATA, fastmcp_app, floor_envelope, starlette_app
from bench.load.console import RunnerError
from bench.load.locust_runs import read_locust
from bench.load.plan import Options, plan
from bench.load.processes import child_env, processes, wait_ready
from bench.load.server_metrics import bucket_quantile
from bench.loadrun import parse_args
from bench.mcp_wire import (
    ACCEPT,
    NOTIFICATION_ACCEPTED,
    SESSION_HEADER,
    WireError,
    distinct_mixed_calls,
    initialize_body,
    initialized_notification,
    judge_tool_response,
    parse_rpc_response,
    percentile,
    request_headers,
    session_of,
    tool_call_body,
)
from kiwoom_lab import loopback
from kiwoom_lab.loopback import free_port, loopback_url

REPO = Path(__file__).resolve().parents[2]


def _result(envelope: dict[str, Any], *, is_error: bool = False) -> dict[str, Any]:
    text = json.dumps(envelope, ensure_ascii=False)
    return {
        "jsonrpc": "2.0",
        "id": 7,
        "result": {"content": [{"type": "text", "text": text}], "structuredContent": envelope, "isError": is_error},
    }


@pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust comes with the load extra (tox -e load)")
def test_locustfile_imports_under_locust() -> None:
    env = loopback.child_env()
    listed = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(REPO / "bench" / "locustfile.py"), "--list"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert "McpUser" in listed.stdout


def test_parser_reads_a_plain_json_body() -> None:
    message = _result(floor_envelope("get_stock_price"))
    assert parse_rpc_response(json.dumps(message).encode(), "application/json") == message


def test_parser_reads_an_sse_body_and_skips_notifications_before_the_response() -> None:
    message = _result(floor_envelope("get_stock_price"))
    note = {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "x"}}
    body = f"event: message\r\ndata: {json.dumps(note)}\r\n\r\nevent: message\ndata: {json.dumps(message)}\n\n"
    assert parse_rpc_response(body, "text/event-stream") == message


def test_parser_recognises_sse_without_a_content_type() -> None:
    message = {"jsonrpc": "2.0", "id": 1, "result": {}}
    assert parse_rpc_response(f"data: {json.dumps(message)}\n\n") == message


@pytest.mark.parametrize("body", ["<html>503</html>", "event: message\ndata: {not json\n\n", '{"jsonrpc": "2.0"}'])
def test_parser_rejects_bodies_without_a_response(body: str) -> None:
    with pytest.raises(WireError):
        parse_rpc_response(body)


def test_success_counts_with_its_source() -> None:
    verdict = judge_tool_response(_result(floor_envelope("get_stock_price")))
    assert (verdict.ok, verdict.source, verdict.attempts) == (True, "simulated", 1)


def test_sample_fallback_is_a_success_and_short_circuited_when_no_attempt_was_made() -> None:
    envelope = {"success": True, "data": {"price": 1, "source": "sample", "attempts": 0}, "message": "m"}
    verdict = judge_tool_response(_result(envelope))
    assert verdict.ok
    assert verdict.short_circuited


def test_unsuccessful_envelope_fails_unless_allowed() -> None:
    message = _result({"success": False, "error": "boom", "message": "m"}, is_error=True)
    verdict = judge_tool_response(message)
    assert not verdict.ok
    assert verdict.reason is not None
    assert verdict.reason.startswith("success false")
    assert judge_tool_response(message, allow_unsuccessful=True).ok


def test_json_rpc_error_fails() -> None:
    verdict = judge_tool_response({"jsonrpc": "2.0", "id": 3, "error": {"code": -32602, "message": "bad"}})
    assert not verdict.ok
    assert verdict.reason == "JSON-RPC error -32602"


def test_text_content_is_read_when_structured_content_is_missing() -> None:
    envelope = floor_envelope("get_market_status")
    message = {"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": json.dumps(envelope)}]}}
    assert judge_tool_response(message).ok


def test_every_tool_of_the_mix_has_a_floor_answer() -> None:
    assert {tool for tool, _ in distinct_mixed_calls()} == set(FLOOR_DATA)


def test_percentile_is_nearest_rank() -> None:
    histogram = {1.0: 50, 2.0: 45, 10.0: 4, 100.0: 1}
    assert (percentile(histogram, 0.5), percentile(histogram, 0.95), percentile(histogram, 0.99)) == (1.0, 2.0, 10.0)
    assert percentile({}, 0.5) is None


def test_bucket_quantile_uses_only_what_was_observed_in_between() -> None:
    inf = float("inf")
    before = {0.001: 10.0, 0.01: 10.0, inf: 10.0}
    after = {0.001: 10.0, 0.01: 110.0, inf: 110.0}
    assert bucket_quantile(before, after, 0.99) == 10.0


def test_read_locust_leaves_session_requests_out(tmp_path: Path) -> None:
    stats = [
        {"name": "initialize", "num_requests": 5, "num_failures": 0, "response_times": {"3": 5}},
        {"name": "tools/call get_stock_price", "num_requests": 40, "num_failures": 1, "max_response_time": 9.0,
         "response_times": {"2": 30, "9": 10}},
    ]  # fmt: skip
    path = tmp_path / "run.json"
    path.write_text(json.dumps(stats))
    figures = read_locust(path, duration_s=10)
    assert (figures["tool_calls"], figures["failures"], figures["rps"], figures["p50_ms"]) == (40, 1, 4.0, 2.0)


@pytest.mark.anyio
async def test_starlette_floor_answers_a_session_and_a_tool_call() -> None:
    headers = {"accept": ACCEPT, "content-type": "application/json"}
    transport = httpx2.ASGITransport(app=starlette_app())
    async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        opened = await http.post("/mcp", json=initialize_body(1), headers=headers)
        assert opened.status_code == 200
        assert "result" in parse_rpc_response(opened.content, opened.headers["content-type"])
        headers[SESSION_HEADER] = opened.headers[SESSION_HEADER]
        notified = await http.post("/mcp", json=initialized_notification(), headers=headers)
        assert notified.status_code == 202
        called = await http.post("/mcp", json=tool_call_body(2, "get_stock_price", {"stock_code": "005930"}))
        verdict = judge_tool_response(parse_rpc_response(called.content, called.headers["content-type"]))
        assert verdict.ok
        assert verdict.source == "simulated"


def test_session_of_finds_the_header_in_any_case_and_none_from_a_stateless_server() -> None:
    assert session_of({"Mcp-Session-Id": "abc"}) == "abc"
    assert session_of({"mcp-session-id": "abc"}.get) == "abc"  # locust's response.headers.get
    assert session_of({"content-type": "text/event-stream"}) is None  # stateless: no header at all
    assert session_of({"mcp-session-id": " "}) is None
    assert session_of(None) is None


def test_request_headers_carry_a_session_only_when_there_is_one() -> None:
    assert request_headers("abc")[SESSION_HEADER] == "abc"
    stateless = request_headers(None)
    assert SESSION_HEADER not in stateless
    assert stateless["accept"] == ACCEPT


@pytest.mark.anyio
async def test_a_stateless_server_is_spoken_to_without_a_session() -> None:
    """The path ``kiwoom-mcp --workers N`` takes: initialize gives no session, calls send none."""
    app = fastmcp_app(stateless=True)
    transport = httpx2.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http,
    ):
        opened = await http.post("/mcp", json=initialize_body(1), headers=request_headers(None))
        assert opened.status_code == 200
        assert "result" in parse_rpc_response(opened.content, opened.headers["content-type"])
        session = session_of(opened.headers)
        assert session is None
        notified = await http.post("/mcp", json=initialized_notification(), headers=request_headers(session))
        assert notified.status_code in NOTIFICATION_ACCEPTED
        body = tool_call_body(2, "get_stock_price", {"stock_code": "005930"})
        called = await http.post("/mcp", json=body, headers=request_headers(session))
        assert called.status_code == 200
        assert judge_tool_response(parse_rpc_response(called.content, called.headers["content-type"])).ok


def _options(*argv: str) -> Options:
    return parse_args(list(argv))


def test_scaling_plans_ours_per_worker_count_on_redis_without_floors() -> None:
    options = _options("--scaling", "1,2,4")
    assert options.redis_url == "redis://127.0.0.1:6379/14"
    labels = [(run.label, run.workers) for run in plan(options)]
    assert labels == [
        ("happy_path-w1", 1), ("cache_hit-w1", 1), ("happy_path-w2", 2), ("cache_hit-w2", 2),
        ("happy_path-w4", 4), ("cache_hit-w4", 4),
    ]  # fmt: skip


def test_default_runs_keep_their_labels_and_the_memory_backend() -> None:
    options = _options("--scenarios", "happy_path")
    assert (options.workers, options.redis_url) == ([1], None)
    assert [run.label for run in plan(options) if run.target == "ours"] == ["happy_path", "cache_hit"]


@pytest.mark.parametrize("counts", ["0", "2,2", "two"])
def test_bad_worker_counts_are_refused(counts: str) -> None:
    with pytest.raises(SystemExit):
        _options("--workers", counts)


def test_a_server_that_dies_during_start_up_fails_fast_with_its_log(tmp_path: Path) -> None:
    """The runner must not wait out the start-up bound for a process that is already gone."""
    log_path = tmp_path / "dead.log"
    with processes() as procs:
        argv = [sys.executable, "-c", "print('no such setting'); raise SystemExit(3)"]
        child = procs.start("dead", argv, env=child_env({}), log_path=log_path, cwd=tmp_path)
        with pytest.raises(RunnerError, match="dead exited during start-up") as raised:
            wait_ready(child, "dead", loopback_url(free_port()), log_path)
    assert "no such setting" in str(raised.value)
