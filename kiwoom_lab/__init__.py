"""Scenario replay for learners: the fake on a socket, the real client, a timeline, the verdict.

``run_scenario`` runs one parsed scenario and returns a ``RunReport``; ``kiwoom-lab`` (see
``kiwoom_lab.__main__``) prints it as a table and draws it as an SVG/HTML timeline.
Nothing in ``kiwoom`` imports this package: the client does not depend on its test bench.
"""

from __future__ import annotations

from kiwoom_lab.checks import CallOutcome, Check
from kiwoom_lab.report import RunReport
from kiwoom_lab.runner import run_file, run_scenario
from kiwoom_lab.spec import Expect, parse_expect
from kiwoom_lab.timeline import Event

__all__ = ["CallOutcome", "Check", "Event", "Expect", "RunReport", "parse_expect", "run_file", "run_scenario"]
