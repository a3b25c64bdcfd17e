"""Admin routes under ``/__admin``: scenario control and the request journal.

Scenario faults never apply here: a test that cannot read the journal because the
scenario is dropping connections learns nothing. Answers are plain JSON (not Kiwoom
envelopes); errors are HTTP 400 with ``{"error": message}``.
"""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .envelopes import json_response
from .journal import Criteria
from .scenario_model import ScenarioError, parse_scenario
from .state import FakeState

SCENARIO_SOURCE = "PUT /__admin/scenario"


def _state(request: Request) -> FakeState:
    state: FakeState = request.app.state.fake
    return state


def _bad(message: str) -> Response:
    return json_response({"error": message}, 400)


async def get_requests(request: Request) -> Response:
    """The journal, oldest first; ``?limit=n`` keeps the newest n, ``?session=``/``?api_id=`` filter."""
    params = request.query_params
    raw_limit = params.get("limit")
    limit: int | None = None
    if raw_limit is not None:
        if not raw_limit.isdigit():
            return _bad(f"limit must be a non-negative integer, got {raw_limit!r}")
        limit = int(raw_limit)
    journal = _state(request).journal
    entries = journal.select(limit=limit, session=params.get("session"), api_id=params.get("api_id"))
    return json_response({"requests": journal.as_dicts(entries)})


async def count_requests(request: Request) -> Response:
    """``{"count": n}`` of journal entries matching every criterion in the JSON body."""
    try:
        criteria = Criteria.model_validate_json(await request.body() or b"{}")
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        return _bad(f"invalid count criteria: {problems}")
    return json_response({"count": _state(request).journal.count(criteria)})


async def reset(request: Request) -> Response:
    _state(request).reset()
    return json_response({"status": "ok"})


async def health(request: Request) -> Response:
    del request
    return json_response({"status": "ok"})


async def get_scenario(request: Request) -> Response:
    return json_response(_state(request).engine.snapshot())


async def put_scenario(request: Request) -> Response:
    """Load a scenario (YAML or JSON body); on any error the current one stays active."""
    try:
        text = (await request.body()).decode("utf-8")
        scenario = parse_scenario(text, SCENARIO_SOURCE)
    except UnicodeDecodeError:
        return _bad(f"{SCENARIO_SOURCE}: body is not UTF-8 text")
    except ScenarioError as exc:
        return _bad(str(exc))
    _state(request).engine.load(scenario)
    return json_response({"name": scenario.name, "rules": len(scenario.rules)})


async def delete_scenario(request: Request) -> Response:
    _state(request).engine.load(None)
    return json_response({"name": None})


def admin_routes() -> list[Route]:
    return [
        Route("/__admin/requests", get_requests, methods=["GET"]),
        Route("/__admin/requests/count", count_requests, methods=["POST"]),
        Route("/__admin/reset", reset, methods=["POST"]),
        Route("/__admin/health", health, methods=["GET"]),
        Route("/__admin/scenario", get_scenario, methods=["GET"]),
        Route("/__admin/scenario", put_scenario, methods=["PUT"]),
        Route("/__admin/scenario", delete_scenario, methods=["DELETE"]),
    ]


__all__ = ["admin_routes"]
