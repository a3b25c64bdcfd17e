"""A catalog lesson run for the live page: the runner in a worker thread, followed from the server's loop.

The runner is synchronous (it serves its own fake and runs its own event loop), so it runs in
a daemon thread: a server stopped mid-lesson does not wait for it. Through ``watch`` the runner
hands over the fake's URL and its :class:`~kiwoom_lab.timeline.TimelineRecorder` as the calls
begin; every ``POLL_S`` this side publishes what is new in the recorder (the client's events)
and in the fake's journal (its requests), so the page grows while the lesson runs. When the run
ends, the final merged timeline (in causal order, as ``kiwoom-lab run`` prints it) replaces
the live rows, followed by the checks. A run that fails anywhere (the runner raises, or
following it does) ends with a ``status`` message saying why, so the page shows the failure
and the server accepts the next run; the runner thread, if it is still going, is left to end
on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path
from typing import Any

import httpx2

from kiwoom_lab.live.feed import Feed, event_row
from kiwoom_lab.report import RunReport
from kiwoom_lab.runner import run_file
from kiwoom_lab.timeline import Event, TimelineRecorder, journal_events

#: How often a running lesson is looked at: short enough to look live, long enough to cost nothing.
POLL_S = 0.1


class LessonRun:
    """One run of one scenario file, published to :attr:`feed` as it happens."""

    def __init__(self, run_id: str, path: Path) -> None:
        self.run_id = run_id
        self.path = path
        self.feed = Feed()
        self._base_url: str | None = None
        self._recorder: TimelineRecorder | None = None
        self._client_sent: list[Event] = []
        self._fake_sent: list[dict[str, Any]] = []

    @property
    def finished(self) -> bool:
        return self.feed.closed

    def _watch(self, base_url: str, recorder: TimelineRecorder) -> None:
        """The runner's ``watch`` hook (runner thread): remember where to look."""
        self._base_url = base_url
        self._recorder = recorder

    async def run(self) -> None:
        """Run the lesson, publishing its events while it goes, then the final timeline and checks.

        Whatever goes wrong (the runner, or following it), the feed is closed in the end: the run
        counts as finished, so the page is told it failed and the server takes the next run.
        """
        try:
            report = await self._run_and_follow()
            self._publish_client_events()
            self.feed.publish("timeline", {"events": [event.to_dict() for event in report.events]})
            checks = [check.to_dict() | {"line": check.line()} for check in report.checks]
            self.feed.publish("checks", {"passed": report.passed, "checks": checks, "wall_s": report.wall_s})
        except Exception as exc:  # shown on the page as the run's failure
            self.feed.publish("status", {"ok": False, "message": f"{type(exc).__name__}: {exc}"})
        finally:
            self.feed.close()

    async def _run_and_follow(self) -> RunReport:
        """Start the runner thread and poll it until it settles; its report, or its exception raised here."""
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[RunReport] = loop.create_future()

        def settle(report: RunReport | None, error: Exception | None) -> None:
            if outcome.done():
                return
            if report is not None:
                outcome.set_result(report)
            else:
                outcome.set_exception(error or RuntimeError("the runner ended without a report"))

        def work() -> None:
            report: RunReport | None = None
            error: Exception | None = None
            try:
                report = run_file(self.path, watch=self._watch)
            except Exception as exc:  # handed to the loop: the page shows it
                error = exc
            except BaseException as exc:  # SystemExit and the like: the run must still settle
                error = RuntimeError(f"the runner stopped: {exc!r}")
            finally:
                with contextlib.suppress(RuntimeError):  # the server's loop closed mid-lesson
                    loop.call_soon_threadsafe(settle, report, error)

        threading.Thread(target=work, name=f"kiwoom-lab-lesson-{self.run_id}", daemon=True).start()
        async with httpx2.AsyncClient(timeout=2.0) as admin:
            while not outcome.done():
                await self.poll(admin)
                await asyncio.wait({outcome}, timeout=POLL_S)
        return outcome.result()

    async def poll(self, admin: httpx2.AsyncClient) -> None:
        """Publish the client's new or changed events, and the fake's new or changed journal rows."""
        self._publish_client_events()
        if self._base_url is None or self._recorder is None:
            return
        try:
            response = await admin.get(f"{self._base_url}/__admin/requests")
            response.raise_for_status()
        except httpx2.HTTPError:
            return  # the run's fake is already gone: the final timeline has every request
        rows: list[dict[str, Any]] = response.json()["requests"]
        t0 = self._recorder.t0
        for index, row in enumerate(rows):
            if index < len(self._fake_sent) and self._fake_sent[index] == row:
                continue
            (event,) = journal_events([row], t0)
            self.feed.publish("event", event_row(f"f{index}", "fake", event))
        self._fake_sent = rows

    def _publish_client_events(self) -> None:
        """The recorder's events not yet sent, or changed since (a call's row is rewritten when it ends)."""
        if self._recorder is None:
            return
        snapshot = list(self._recorder.events)  # one copy: the runner thread keeps appending
        for index, event in enumerate(snapshot):
            if index < len(self._client_sent) and self._client_sent[index] == event:
                continue
            self.feed.publish("event", event_row(f"c{index}", "client", event))
        self._client_sent = snapshot
