"""``kiwoom-lab serve`` without a browser: the feed, the lesson runs, following a fake, and the JSON API."""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from fake_kiwoom import create_app
from fake_kiwoom.scenario_model import load_scenario
from kiwoom_lab.catalog import catalog_dir, resolve
from kiwoom_lab.live import cli, lessons
from kiwoom_lab.live.app import create_live_app, lesson_list, one_line
from kiwoom_lab.live.feed import Feed
from kiwoom_lab.live.follow import FakeFollower
from kiwoom_lab.live.lessons import LessonRun
from kiwoom_lab.loopback import LOOPBACK, free_port, loopback_url, serve

Sse = tuple[str, dict[str, Any]]


def read_sse(url: str, *, timeout_s: float = 60.0, until: str = "done") -> list[Sse]:
    """The server-sent events of ``url`` as (name, data), up to and including the first ``until``."""
    events: list[Sse] = []
    name = ""
    with httpx2.stream("GET", url, timeout=timeout_s) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.split(":", 1)[1])))
                if name == until:
                    return events
    return events


@pytest.fixture
def lessons_url() -> Iterator[str]:
    with serve(create_live_app(lang="ko", directory=catalog_dir())) as url:
        yield url


def test_one_line_is_the_first_sentence() -> None:
    assert one_line("첫 문장입니다. 둘째 문장.") == "첫 문장입니다"
    assert one_line("One.\nTwo.") == "One"
    assert one_line("x" * 200, limit=10) == "x" * 9 + "…"


def test_the_list_shows_each_lesson_in_the_chosen_language() -> None:
    for lang in ("ko", "en"):
        lessons = {lesson["name"]: lesson for lesson in lesson_list(catalog_dir(), lang)}
        scenario = load_scenario(resolve("ttl_expiry"))
        assert lessons["ttl_expiry"]["narrative"] == scenario.narrative(lang)
        assert lessons["ttl_expiry"]["clock"] == "virtual"
        assert lessons["ttl_expiry"]["line"]
        assert not lessons["ttl_expiry"]["invalid"]


@pytest.mark.anyio
async def test_a_late_follower_gets_the_history_then_the_rest() -> None:
    feed = Feed()
    feed.publish("event", {"n": 1})
    seen: list[Any] = []

    async def follow() -> None:
        async for message in feed.follow():
            seen.append((message.seq, message.name, message.data))

    task = asyncio.create_task(follow())
    await asyncio.sleep(0)
    feed.publish("event", {"n": 2})
    feed.close()
    await asyncio.wait_for(task, 5)
    assert seen == [(1, "event", {"n": 1}), (2, "event", {"n": 2}), (3, "done", {})]
    assert [m.seq for m in [m async for m in feed.follow(after=2)]] == [3]


@pytest.mark.socket
def test_a_lesson_run_streams_the_client_and_the_fake_then_the_verdict(lessons_url: str) -> None:
    started = httpx2.post(f"{lessons_url}/api/runs", json={"name": "5xx_burst"})
    assert started.status_code == 202
    assert httpx2.post(f"{lessons_url}/api/runs", json={"name": "happy_path"}).status_code == 409  # one at a time
    events = read_sse(f"{lessons_url}/api/runs/{started.json()['id']}/events")
    names = [name for name, _ in events]
    live = [data for name, data in events if name == "event"]
    assert {row["side"] for row in live} == {"client", "fake"}
    assert any(row["side"] == "fake" and row["label"] == "503" for row in live)
    assert any(row["kind"] == "retry" for row in live)
    # live rows first, then the final timeline replacing them, then the checks and the end
    assert names[-3:] == ["timeline", "checks", "done"]
    assert names.index("timeline") > max(i for i, name in enumerate(names) if name == "event")
    checks = events[-2][1]
    assert checks["passed"] is True
    assert any(check["key"] == "min_gaps_s" for check in checks["checks"])


@pytest.mark.socket
def test_a_run_that_fails_while_followed_ends_and_the_next_run_is_accepted(
    lessons_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in following a run (here: ``poll`` raises) ends that run with a failure, not a server stuck at 409."""
    polls: list[str] = []
    real_poll = LessonRun.poll

    async def poll_that_breaks_once(run: LessonRun, admin: httpx2.AsyncClient) -> None:
        polls.append(run.run_id)
        if run.run_id == "1":
            raise RuntimeError("the journal made no sense")
        await real_poll(run, admin)

    monkeypatch.setattr(LessonRun, "poll", poll_that_breaks_once)
    first = httpx2.post(f"{lessons_url}/api/runs", json={"name": "ttl_expiry"})
    assert first.status_code == 202
    failed = read_sse(f"{lessons_url}/api/runs/{first.json()['id']}/events")
    assert failed[-2:] == [
        ("status", {"ok": False, "message": "RuntimeError: the journal made no sense"}),
        ("done", {}),
    ]
    assert "checks" not in [name for name, _ in failed]

    second = httpx2.post(f"{lessons_url}/api/runs", json={"name": "ttl_expiry"})
    assert second.status_code == 202
    passed = read_sse(f"{lessons_url}/api/runs/{second.json()['id']}/events")
    assert [name for name, _ in passed][-3:] == ["timeline", "checks", "done"]
    assert passed[-2][1]["passed"] is True
    assert polls.count("1") == 1  # the failed run stopped at its first look
    assert "2" in polls


@pytest.mark.anyio
async def test_a_runner_that_raises_ends_the_run_with_its_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_runner(path: Path, **_: object) -> None:
        raise SystemExit(f"{path.stem} cannot run here")

    monkeypatch.setattr(lessons, "run_file", broken_runner)
    run = LessonRun("1", resolve("ttl_expiry"))
    await asyncio.wait_for(run.run(), 30)
    assert run.finished
    messages = [(m.name, m.data) for m in run.feed.after(0)]
    assert messages == [
        (
            "status",
            {"ok": False, "message": "RuntimeError: the runner stopped: SystemExit('ttl_expiry cannot run here')"},
        ),
        ("done", {}),
    ]


@pytest.mark.socket
def test_the_api_refuses_what_it_cannot_do(lessons_url: str) -> None:
    assert httpx2.post(f"{lessons_url}/api/runs", json={"name": "../pyproject"}).status_code == 400
    assert httpx2.post(f"{lessons_url}/api/runs", content=b"not json").status_code == 400
    assert httpx2.get(f"{lessons_url}/api/runs/999/events").status_code == 404
    assert httpx2.get(f"{lessons_url}/api/follow").status_code == 404
    assert httpx2.put(f"{lessons_url}/api/fake/scenario", json={"name": None}).status_code == 404
    page = httpx2.get(f"{lessons_url}/")
    assert '<html lang="ko">' in page.text
    font_css = httpx2.get(f"{lessons_url}/font.css").text
    assert '"Kiwoom Lab Hangul"' in font_css
    assert "--lab-font" in font_css
    font = httpx2.get(f"{lessons_url}/fonts/kiwoom-lab-hangul.woff2")
    assert font.headers["content-type"] == "font/woff2"
    assert font.content[:4] == b"wOF2"
    assert httpx2.get(f"{lessons_url}/static/page.js").status_code == 200


def test_a_known_row_that_changes_is_published_again_under_its_key() -> None:
    """A hanging request is journaled with status null; when answered, its row is updated, not duplicated."""

    async def scenario() -> list[dict[str, Any]]:
        follower = FakeFollower("http://127.0.0.1:1", clock=lambda: 100.0)
        row = {"ts": 101.0, "path": "/api/dostk/stkinfo", "session": "default", "api_id": "ka10001"}
        follower._publish_rows([row | {"status": None}])
        follower._publish_rows([row | {"status": None}])  # unchanged: nothing new
        follower._publish_rows([row | {"status": 200}])
        await follower.close()
        follower.feed.close()
        return [m.data async for m in follower.feed.follow() if m.name == "event"]

    rows = asyncio.run(scenario())
    assert [(row["label"], row["t"]) for row in rows] == [("no answer", 1.0), ("200", 1.0)]
    assert rows[0]["key"] == rows[1]["key"]


@pytest.mark.anyio
@pytest.mark.socket
async def test_following_a_fake_shows_its_requests_and_marks_a_switch() -> None:
    with serve(create_app()) as fake_url:
        follower = FakeFollower(fake_url)
        await follower.poll()
        async with httpx2.AsyncClient(base_url=fake_url) as client:
            await client.post(
                "/oauth2/token", json={"grant_type": "client_credentials", "appkey": "a", "secretkey": "b"}
            )
            await follower.poll()
            await follower.switch(load_scenario(resolve("5xx_burst")))
            await follower.switch(None)
        await follower.close()
        follower.feed.close()
        messages = [(m.name, m.data) async for m in follower.feed.follow()]
    assert messages[0] == ("status", {"ok": True, "message": f"following {fake_url}", "scenario": None})
    rows = [data for name, data in messages if name == "event"]
    assert [(row["kind"], row["label"]) for row in rows] == [
        ("request", "200"),
        ("scenario", "5xx_burst"),
        ("scenario", "none"),
    ]
    assert rows[0]["api_id"] == "au10001"
    assert rows[0]["t"] <= rows[1]["t"] <= rows[2]["t"]


@pytest.mark.anyio
async def test_an_unreachable_fake_is_said_once() -> None:
    follower = FakeFollower(loopback_url(free_port()))
    await follower.poll()
    await follower.poll()
    await follower.close()
    follower.feed.close()
    messages = [(m.name, m.data) async for m in follower.feed.follow()]
    assert [name for name, _ in messages] == ["status", "done"]
    assert messages[0][1]["ok"] is False
    assert "cannot read the fake" in messages[0][1]["message"]


def serve_arguments(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kiwoom-lab serve")
    cli.add_arguments(parser)
    args = parser.parse_args(argv)
    args.lang = "en"
    return args


def test_serve_says_when_its_port_is_taken(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        port = taken.getsockname()[1]
        assert cli.run(serve_arguments("--port", str(port))) == cli.EXIT_INVALID
    assert f"port {port} is in use" in capsys.readouterr().err


def test_serve_wants_a_url_for_the_fake(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        serve_arguments("--fake", "127.0.0.1:8031")
    assert "expected a URL like http://127.0.0.1:8031" in capsys.readouterr().err
    assert serve_arguments("--fake", "http://127.0.0.1:8031/").fake == "http://127.0.0.1:8031"
