"""Each tool publishes a typed ``data`` and every key a result carries is declared there.

An assistant learns what ``price`` or ``cache_age_s`` means from the output schema alone,
so a key missing from it is a field the model has to guess at. The check walks real
results (fresh, cached, stale and sample) against the published schema, nested lists
included, and validates the whole envelope with jsonschema.
"""

from __future__ import annotations

from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs installed; the MCP SDK's own validator
import pytest

from tests.kiwoom.mcp.harness import McpHarness

pytestmark = pytest.mark.anyio

#: One call per tool (two for history: day and minute bars have different keys).
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_stock_price", {"stock_code": "005930"}),
    ("get_stock_prices", {"stock_codes": ["005930", "000660", "999999"]}),
    ("get_stock_info", {"stock_code": "035420"}),
    ("get_stock_history", {"stock_code": "005930", "days": 3}),
    ("get_stock_history", {"stock_code": "005930", "days": 1, "interval": "30m"}),
    ("get_orderbook", {"stock_code": "005930"}),
    ("search_stock", {"query": "삼성"}),
    ("get_account_info", {}),
    ("get_market_status", {}),
]
IDS = [f"{tool}-{i}" for i, (tool, _) in enumerate(CALLS)]

OUTAGE = """
version: 1
name: outage
description: every TR answers 503
rules:
  - match: {path: /api/dostk/*}
    steps: [{times: null, fault: {type: http_status, status: 503}}]
"""

#: Past every TTL but the listing's (info: 3600 s) and within every stale window (TTL + 3600 s).
STALE_AFTER_S = 3605
#: Past the listing's TTL (86400 s), within its stale window: search answers stale.
LISTING_STALE_AFTER_S = 86_405


def resolve(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    """The branches a value may take: ``$ref`` followed, ``anyOf``/``oneOf`` flattened."""
    if "$ref" in schema:
        return resolve(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        return [b for branch in branches for b in resolve(branch, defs)]
    return [schema]


def undeclared(value: Any, schema: dict[str, Any], defs: dict[str, Any], path: str) -> list[str]:
    """Paths of keys in ``value`` that its schema does not declare, recursively."""
    branches = resolve(schema, defs)
    missing: list[str] = []
    if isinstance(value, dict):
        properties = {k: v for b in branches for k, v in b.get("properties", {}).items()}
        for key, item in value.items():
            if key in properties:
                missing += undeclared(item, properties[key], defs, f"{path}.{key}")
            else:
                missing.append(f"{path}.{key}")
    elif isinstance(value, list):
        items: dict[str, Any] = next((b["items"] for b in branches if "items" in b), {})
        for i, item in enumerate(value[:3]):
            missing += undeclared(item, items, defs, f"{path}[{i}]")
    return missing


async def schemas(mh: McpHarness) -> dict[str, dict[str, Any]]:
    return {t.name: t.output_schema for t in await mh.mcp.list_tools() if t.output_schema is not None}


async def check(mh: McpHarness, tool: str, body: dict[str, Any], source: set[str]) -> None:
    schema = (await schemas(mh))[tool]
    assert body["success"] is True, body
    assert body["data"]["source"] in source, body["data"]
    assert undeclared(body, schema, schema.get("$defs", {}), "$") == []
    jsonschema.Draft202012Validator(schema).validate(body)


@pytest.mark.parametrize(("tool", "arguments"), CALLS, ids=IDS)
async def test_fresh_results_declare_every_key(mh: McpHarness, tool: str, arguments: dict[str, Any]) -> None:
    _, body = await mh.call(tool, **arguments)
    await check(mh, tool, body, {"live", "simulated", "calendar", "cache"})


@pytest.mark.parametrize(("tool", "arguments"), CALLS, ids=IDS)
async def test_cached_results_declare_every_key(mh: McpHarness, tool: str, arguments: dict[str, Any]) -> None:
    await mh.call(tool, **arguments)
    mh.time.advance(1)
    _, body = await mh.call(tool, **arguments)
    await check(mh, tool, body, {"cache", "calendar", "live"})


@pytest.mark.parametrize(("tool", "arguments"), [c for c in CALLS if c[0] not in {"get_market_status", "search_stock"}])
async def test_stale_results_declare_every_key(mh: McpHarness, tool: str, arguments: dict[str, Any]) -> None:
    await mh.call(tool, **arguments)
    mh.time.advance(STALE_AFTER_S)
    await mh.set_scenario(OUTAGE)
    _, body = await mh.call(tool, **arguments)
    await check(mh, tool, body, {"stale"})


async def test_stale_search_results_declare_every_key(mh: McpHarness) -> None:
    await mh.call("search_stock", query="삼성")
    mh.time.advance(LISTING_STALE_AFTER_S)
    await mh.set_scenario(OUTAGE)
    _, body = await mh.call("search_stock", query="삼성")
    await check(mh, "search_stock", body, {"stale"})


@pytest.mark.parametrize(("tool", "arguments"), [c for c in CALLS if c[0] != "get_market_status"])
async def test_sample_results_declare_every_key(mh: McpHarness, tool: str, arguments: dict[str, Any]) -> None:
    await mh.set_scenario(OUTAGE)
    _, body = await mh.call(tool, **arguments)
    await check(mh, tool, body, {"sample"})


async def test_a_resolved_name_is_declared(mh: McpHarness) -> None:
    _, body = await mh.call("get_stock_price", stock_code="삼성전자")
    await check(mh, "get_stock_price", body, {"live", "simulated"})
    assert body["data"]["resolved_from"] == "삼성전자"


async def test_a_failure_envelope_matches_the_schema(mh: McpHarness) -> None:
    _, body = await mh.call("get_stock_price", stock_code="999999")
    schema = (await schemas(mh))["get_stock_price"]
    jsonschema.Draft202012Validator(schema).validate(body)
    assert "error" in schema["properties"]


@pytest.mark.parametrize("tool", sorted({tool for tool, _ in CALLS}))
async def test_data_is_a_typed_object(mh: McpHarness, tool: str) -> None:
    schema = (await schemas(mh))[tool]
    defs = schema.get("$defs", {})
    data = [b for b in resolve(schema["properties"]["data"], defs) if b.get("type") == "object"]
    assert len(data) == 1
    assert {"source", "timestamp", "environment"} <= set(data[0]["properties"])


def described(schema: dict[str, Any], defs: dict[str, Any], path: str) -> list[str]:
    """Paths of declared data fields without a description."""
    missing = []
    for branch in resolve(schema, defs):
        for key, prop in branch.get("properties", {}).items():
            if not prop.get("description"):
                missing.append(f"{path}.{key}")
            missing += described(prop, defs, f"{path}.{key}")
        if "items" in branch:
            missing += described(branch["items"], defs, f"{path}[]")
    return missing


@pytest.mark.parametrize("tool", sorted({tool for tool, _ in CALLS}))
async def test_every_data_field_is_described(mh: McpHarness, tool: str) -> None:
    schema = (await schemas(mh))[tool]
    assert described(schema["properties"]["data"], schema.get("$defs", {}), "data") == []


@pytest.mark.parametrize(
    ("tool", "field", "unit"),
    [
        ("get_stock_price", "price", "KRW"),
        ("get_stock_price", "change_rate", "%"),
        ("get_stock_price", "volume", "shares"),
        ("get_stock_price", "timestamp", "+09:00"),
        ("get_stock_price", "latency_ms", "millisecond"),
        ("get_stock_price", "cache_age_s", "second"),
        ("get_stock_info", "market_cap_krw", "KRW"),
        ("get_account_info", "balance", "KRW"),
        ("get_market_status", "next_open", "ISO 8601"),
    ],
)
async def test_descriptions_give_units(mh: McpHarness, tool: str, field: str, unit: str) -> None:
    schema = (await schemas(mh))[tool]
    defs = schema.get("$defs", {})
    data = next(b for b in resolve(schema["properties"]["data"], defs) if b.get("type") == "object")
    assert unit in data["properties"][field]["description"]


async def test_source_values_are_explained(mh: McpHarness) -> None:
    schema = (await schemas(mh))["get_stock_price"]
    defs = schema.get("$defs", {})
    data = next(b for b in resolve(schema["properties"]["data"], defs) if b.get("type") == "object")
    source = data["properties"]["source"]
    values = {v for b in resolve(source, defs) for v in b.get("enum", [])}
    assert values == {"live", "cache", "stale", "sample", "simulated", "calendar"}
    for value in values:
        assert value in source["description"]
