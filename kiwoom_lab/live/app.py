"""The ``kiwoom-lab serve`` web app: one page, a JSON API behind it, and server-sent events.

Two modes, chosen at start:

* **lessons** (no ``--fake``): the learner picks a catalog scenario, presses run, and the page
  follows the run (:mod:`kiwoom_lab.live.lessons`): the client's events and the fake's requests
  as they happen, then the final timeline and the checks. One run at a time: the machine's
  cores are the lesson's, and timings of two concurrent runs would disturb each other.
* **follow** (``--fake URL``): the page follows a running ``fake-kiwoom``'s journal while an
  assistant drives ``kiwoom-mcp`` against it, and switches the fake's scenario
  (:mod:`kiwoom_lab.live.follow`).

Routes: ``GET /`` the page; ``/static/*`` its script and style; ``/font.css`` and ``/fonts/*``
the embedded Hangul face; ``GET /api/info``; ``GET /api/scenarios``; ``POST /api/runs``
``{"name"}`` and ``GET /api/runs/{id}/events`` (lessons); ``GET /api/follow`` and
``PUT /api/fake/scenario`` ``{"name": str | null}`` (follow).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx2
from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from fake_kiwoom.scenario_model import Lang, ScenarioError, load_scenario
from kiwoom_lab import fonts
from kiwoom_lab.catalog import catalog_lines, scenario_files
from kiwoom_lab.live.feed import Feed
from kiwoom_lab.live.follow import FakeFollower
from kiwoom_lab.live.lessons import LessonRun
from kiwoom_lab.spec import parse_expect

FONT_URL = f"/fonts/{fonts.FONT_FILE}"
#: Finished runs kept so that a page reloaded after a run can still replay it.
KEEP_RUNS = 8


@dataclass
class LiveState:
    lang: Lang
    directory: Path
    follower: FakeFollower | None
    runs: dict[str, LessonRun] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


def one_line(text: str, limit: int = 110) -> str:
    """The first sentence of a narrative, for the list (Korean sentences end with ``다.`` and a space too)."""
    sentence = " ".join(text.split()).split(". ")[0].rstrip(".")
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def lesson_list(directory: Path, lang: Lang) -> list[dict[str, Any]]:
    """The catalog for the page: name, one line and narrative in ``lang``; an invalid file says why.

    The one line is the catalog table's (as ``kiwoom-lab list`` prints it), else the narrative's first sentence.
    """
    lines = catalog_lines(directory, lang)
    lessons: list[dict[str, Any]] = []
    for path in scenario_files(directory):
        try:
            scenario = load_scenario(path)
            expect = parse_expect(scenario, str(path))
        except ScenarioError as exc:
            problem = str(exc)
            lessons.append({"name": path.stem, "line": problem.splitlines()[0], "narrative": problem, "invalid": True})
            continue
        narrative = scenario.narrative(lang)
        lessons.append(
            {
                "name": path.stem,
                "line": lines.get(path.name) or one_line(narrative),
                "narrative": narrative,
                "clock": expect.clock,
                "stream": expect.stream is not None,
                "invalid": False,
            }
        )
    return lessons


def _state(request: Request) -> LiveState:
    state: LiveState = request.app.state.live
    return state


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": message}, status)


async def page(request: Request) -> Response:
    html = (files(__package__) / "static" / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(html.replace("__LANG__", _state(request).lang))


async def font_css(request: Request) -> Response:
    del request
    css = f"{fonts.font_face_rule(FONT_URL)}\n:root {{ --lab-font: {fonts.FONT_STACK}; }}\n"
    return Response(css, media_type="text/css")


async def font_file(request: Request) -> Response:
    del request
    headers = {"cache-control": "public, max-age=86400"}
    return Response(fonts.font_bytes(), media_type="font/woff2", headers=headers)


async def info(request: Request) -> Response:
    state = _state(request)
    follower = state.follower
    return JSONResponse(
        {"lang": state.lang, "mode": "follow" if follower else "lessons", "fake": follower and follower.fake_url}
    )


async def scenarios(request: Request) -> Response:
    state = _state(request)
    lang: Lang = "en" if request.query_params.get("lang", state.lang) == "en" else "ko"
    return JSONResponse({"lang": lang, "scenarios": lesson_list(state.directory, lang)})


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ScenarioError('the body must be a JSON object: {"name": ...}')
    return body


def _catalog_path(state: LiveState, name: object) -> Path:
    """The catalog file called ``name`` (only the names the list offers, never a path)."""
    by_name = {path.stem: path for path in scenario_files(state.directory)}
    if not isinstance(name, str) or name not in by_name:
        raise ScenarioError(f"unknown scenario {name!r}; known: {', '.join(by_name)}")
    return by_name[name]


async def start_run(request: Request) -> Response:
    state = _state(request)
    if state.follower is not None:
        return _error("serve was started with --fake: lessons do not run here", 409)
    try:
        path = _catalog_path(state, (await _body(request)).get("name"))
    except ScenarioError as exc:
        return _error(str(exc), 400)
    if any(not run.finished for run in state.runs.values()):
        return _error("a lesson is running: wait for its verdict", 409)
    run = LessonRun(str(next(state.ids)), path)
    state.runs[run.run_id] = run
    for old in list(state.runs)[:-KEEP_RUNS]:
        del state.runs[old]
    task = asyncio.create_task(run.run())
    state.tasks.add(task)
    task.add_done_callback(state.tasks.discard)
    return JSONResponse({"id": run.run_id, "scenario": path.stem}, 202)


def _stream(request: Request, feed: Feed) -> Response:
    """``feed`` as server-sent events, resuming after the ``Last-Event-ID`` a reconnecting page sends."""
    last = request.headers.get("last-event-id", "")
    after = int(last) if last.isdigit() else 0

    async def events() -> AsyncIterator[dict[str, str]]:
        async for message in feed.follow(after):
            yield message.sse()

    return EventSourceResponse(events(), ping=15)


async def run_events(request: Request) -> Response:
    run = _state(request).runs.get(request.path_params["run_id"])
    if run is None:
        return _error("no such run (only the last few are kept)", 404)
    return _stream(request, run.feed)


async def follow(request: Request) -> Response:
    follower = _state(request).follower
    if follower is None:
        return _error("serve was started without --fake URL: nothing to follow", 404)
    return _stream(request, follower.feed)


async def switch_scenario(request: Request) -> Response:
    follower = _state(request).follower
    if follower is None:
        return _error("serve was started without --fake URL: no fake to switch", 404)
    try:
        wanted = (await _body(request)).get("name")
        scenario = None if wanted is None else load_scenario(_catalog_path(_state(request), wanted))
        await follower.switch(scenario)
    except (ScenarioError, ValueError) as exc:
        return _error(str(exc), 400)
    except httpx2.HTTPError as exc:
        return _error(f"cannot reach the fake at {follower.fake_url}: {exc}", 502)
    return JSONResponse({"name": scenario.name if scenario else None})


def create_live_app(*, lang: Lang, directory: Path, fake_url: str | None = None) -> Starlette:
    """The serve app for the catalog in ``directory``; with ``fake_url``, following that fake."""
    state = LiveState(lang, directory, FakeFollower(fake_url) if fake_url else None)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        del app
        follower_task = asyncio.create_task(state.follower.run()) if state.follower else None
        try:
            yield
        finally:
            if follower_task is not None:
                follower_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower_task

    routes = [
        Route("/", page),
        Route("/font.css", font_css),
        Route(FONT_URL, font_file),
        Route("/api/info", info),
        Route("/api/scenarios", scenarios),
        Route("/api/runs", start_run, methods=["POST"]),
        Route("/api/runs/{run_id}/events", run_events),
        Route("/api/follow", follow),
        Route("/api/fake/scenario", switch_scenario, methods=["PUT"]),
        Mount("/static", StaticFiles(packages=[("kiwoom_lab.live", "static")]), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.live = state
    return app
