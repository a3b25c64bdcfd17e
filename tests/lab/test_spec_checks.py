"""The ``expect`` block is checked at load: tool arguments against the method, api-ids, misspelled keys."""

from __future__ import annotations

import asyncio
import inspect
import pathlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from fake_kiwoom.scenario_model import ScenarioError, load_scenario, parse_scenario
from kiwoom.client import KiwoomClient
from kiwoom_lab.__main__ import main as lab_main
from kiwoom_lab.runner import invoke
from kiwoom_lab.spec import TOOLS, Expect, parse_expect
from kiwoom_lab.tool_args import argument_problems

HEADER = "version: 1\nname: bad\ndescription: a broken expect block\n"
CATALOG = sorted(pathlib.Path("scenarios").glob("*.yaml"))


def problems(expect: str, source: str = "bad.yaml") -> list[str]:
    """The one-line problems of a refused ``expect`` block (the header line names the file)."""
    scenario = parse_scenario(HEADER + f"expect: {expect}\n", source)
    with pytest.raises(ScenarioError) as info:
        parse_expect(scenario, source)
    first, *lines = str(info.value).splitlines()
    assert first.startswith(f"{source}: invalid expect block ({len(lines)} error")
    return [line.strip() for line in lines]


@pytest.mark.parametrize("path", CATALOG, ids=[p.stem for p in CATALOG])
def test_every_catalog_expect_block_passes_the_load_checks(path: pathlib.Path) -> None:
    expect = parse_expect(load_scenario(path), str(path))
    assert argument_problems(expect.tool, expect.args) == []


def test_a_misspelled_argument_is_refused_with_the_one_meant() -> None:
    assert problems("{tool: get_stock_history, args: {day: 5}}") == [
        "expect.args.day: get_stock_history has no argument 'day'; did you mean 'days'?"
    ]


def test_an_argument_of_the_wrong_kind_is_named_with_the_kind_it_takes() -> None:
    assert problems("{tool: get_stock_history, args: {days: '5', interval: 1}}") == [
        "expect.args.days: get_stock_history takes days as int, got '5' (str)",
        "expect.args.interval: get_stock_history takes interval as str, got 1 (int)",
    ]
    assert problems("{tool: get_stock_history, args: {days: true}}") == [
        "expect.args.days: get_stock_history takes days as int, got True (bool)"
    ]


def test_the_code_comes_from_stock_code_not_args() -> None:
    assert problems("{tool: get_stock_price, args: {stock_code: '000660'}}") == [
        "expect.args.stock_code: the runner passes stock_code from expect.stock_code; give the code there"
    ]
    assert problems("{tool: get_stock_prices, args: {stock_codes: ['000660']}}") == [
        "expect.args.stock_codes: the runner passes stock_codes from expect.stock_code; give the code there"
    ]


@pytest.mark.parametrize(
    ("tool", "line"),
    [
        (
            "get_orderbook",
            "expect.args.days: get_orderbook has no argument 'days'; "
            "it takes only stock_code, which the runner passes from expect.stock_code",
        ),
        ("get_market_status", "expect.args.days: get_market_status has no argument 'days'; it takes no arguments"),
        ("search_stock", "expect.args.days: search_stock has no argument 'days'; it takes query"),
    ],
)
def test_an_argument_a_tool_does_not_take_says_what_it_takes(tool: str, line: str) -> None:
    assert problems(f"{{tool: {tool}, args: {{days: 5}}}}") == [line]


def test_search_stock_takes_its_query_from_args_or_from_stock_code() -> None:
    happy = parse_scenario(HEADER + "expect: {tool: search_stock, args: {query: 삼성}}\n")
    assert parse_expect(happy).args == {"query": "삼성"}
    assert parse_expect(parse_scenario(HEADER + "expect: {tool: search_stock}\n")).args == {}
    assert problems("{tool: search_stock, args: {qeury: 삼성}}") == [
        "expect.args.qeury: search_stock has no argument 'qeury'; did you mean 'query'?"
    ]


def test_a_required_argument_left_out_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """No tool has one today; a method that grows one must be refused at load, not with a TypeError."""

    async def get_stock_history(self: KiwoomClient, stock_code: str, days: int, interval: str = "day") -> Any:
        raise AssertionError("never called at load")

    monkeypatch.setattr(KiwoomClient, "get_stock_history", get_stock_history)
    assert problems("{tool: get_stock_history, args: {interval: day}}") == [
        "expect.args: get_stock_history needs argument 'days'"
    ]


def test_a_misspelled_tool_gets_the_tool_meant() -> None:
    [line] = problems("{tool: get_stock_histroy}")
    assert line == "expect.tool: unknown tool; did you mean 'get_stock_history'? (got 'get_stock_histroy')"


def test_an_upstream_count_of_an_api_id_kiwoom_lacks_is_refused() -> None:
    assert problems("{upstream_requests: [{api_id: ka10001, count: 1}, {api_id: ka1081, count: 0}]}") == [
        "expect.upstream_requests[1].api_id: 'ka1081' is not an api-id the fake journals "
        "(a TR, au10001/au10002, or a WebSocket frame such as REG); did you mean 'ka10081', 'ka10001' or 'ka10008'?"
    ]
    [line] = problems("{upstream_requests: {api_id: ka1OO95, count: 1}}")  # letters O for zeros
    assert line.startswith("expect.upstream_requests.api_id: 'ka1OO95' is not an api-id")


@pytest.mark.parametrize("api_id", ["ka10095", "au10001", "REG", "DROP", "PING_SKIPPED"])
def test_an_upstream_count_may_name_any_api_id_the_fake_journals(api_id: str) -> None:
    scenario = parse_scenario(HEADER + f"expect: {{upstream_requests: {{api_id: {api_id}, count: 1}}}}\n")
    assert parse_expect(scenario).upstream()[0].api_id == api_id


@pytest.mark.parametrize(
    ("expect", "line"),
    [
        ("{atempts: 1}", "expect.atempts: Extra inputs are not permitted; did you mean 'attempts'?"),
        ("{call_gaps_s: 1}", "expect.call_gaps_s: Extra inputs are not permitted; did you mean 'call_gap_s'?"),
        (
            "{upstream_requests: {api_id: ka10001, cont: 1}}",
            "expect.upstream_requests.cont: Extra inputs are not permitted; did you mean 'count'?",
        ),
        (
            "{upstream_requests: [{api_id: ka10001, max: 1}, {apiid: ka10001, count: 1}]}",
            "expect.upstream_requests[1].apiid: Extra inputs are not permitted; did you mean 'api_id'?",
        ),
        (
            "{stream: {reconect_within_s: 1}}",
            "expect.stream.reconect_within_s: Extra inputs are not permitted; did you mean 'reconnect_within_s'?",
        ),
        ("{stream: {logins: {mn: 1}}}", "expect.stream.logins.mn: Extra inputs are not permitted; did you mean 'min'?"),
        ("{workers: {cont: 2}}", "expect.workers.cont: Extra inputs are not permitted; did you mean 'count'?"),
        (
            "{settings: {KIWOOM_CACHE_TTLL: '1'}}",
            "expect.settings: KIWOOM_CACHE_TTLL: not a KIWOOM_* setting of the client; "
            "did you mean 'KIWOOM_CACHE_TTL'?",
        ),
    ],
)
def test_a_misspelled_expect_key_is_answered_with_the_key_meant(expect: str, line: str) -> None:
    assert problems(expect) == [line]


def test_kiwoom_lab_run_refuses_a_bad_args_block_with_exit_2(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEADER + "expect: {tool: get_stock_history, args: {day: 5}}\n", encoding="utf-8")
    assert lab_main(["run", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"{bad}: invalid expect block (1 error)",
        "  expect.args.day: get_stock_history has no argument 'day'; did you mean 'days'?",
    ]
    assert captured.out == ""  # refused before anything ran


class _Binding:
    """A stand-in client: each tool binds its arguments to the real method's signature, as Python would."""

    def __init__(self) -> None:
        self.bound: dict[str, Any] = {}

    def __getattr__(self, tool: str) -> Any:
        signature = inspect.signature(getattr(KiwoomClient, tool))

        async def call(*args: Any, **kwargs: Any) -> dict[str, Any]:
            self.bound = dict(signature.bind(self, *args, **kwargs).arguments)  # TypeError as the real call would
            return {}

        return call


NAMES = st.sampled_from(["days", "day", "interval", "query", "stock_code", "stock_codes", "pages"])
VALUES = st.one_of(st.integers(-3, 400), st.sampled_from(["day", "minute", "삼성", "5"]), st.booleans())


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(TOOLS), st.dictionaries(NAMES, VALUES, max_size=3))
def test_args_accepted_at_load_always_bind_when_the_runner_calls(tool: str, args: dict[str, Any]) -> None:
    """Whatever the load check lets through binds when the runner calls, with the values as written."""
    try:
        expect = Expect(tool=tool, args=args)
    except ValidationError as exc:
        refused_at = {error["loc"][0] for error in exc.errors()}
        assert refused_at == {"args"}
        return
    client = _Binding()
    asyncio.run(invoke(client, expect))  # type: ignore[arg-type]
    for name, value in args.items():
        assert client.bound[name] == value
