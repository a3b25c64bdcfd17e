"""Smoke test of ``python -m bench.streaming``: the memory measurement runs and reports its keys.

The figures themselves are benchmarks (``bench/README.md``, "Real-time stream"): nothing here
asserts a speed or a size, only that a short run against the fake on a real port completes and
its summary has the shape the README's table is built from. It runs as a child process, as a
developer would run it, so the fake's subprocess and the stream's event loop are its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.streaming import build_parser
from kiwoom_lab.loopback import child_env

pytestmark = [pytest.mark.socket, pytest.mark.realtime]


def test_without_a_measurement_the_cli_says_what_to_name(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.streaming import main

    with pytest.raises(SystemExit):
        main([])
    assert "--fanout" in capsys.readouterr().err
    assert build_parser().parse_args(["--memory", "--smoke"]).smoke is True


@pytest.mark.timeout(60)
def test_memory_smoke_runs_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "streaming.json"
    argv = [sys.executable, "-m", "bench.streaming", "--memory", "--smoke", "--codes", "20", "--duration-s", "2"]
    done = subprocess.run(
        [*argv, "--out", str(out), "--logs", str(tmp_path / "logs")],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(out.read_text())["memory"]
    assert summary["codes"] == 20
    assert set(summary["rss_mb"]) >= {"start", "after_warm_up", "end", "max", "slope_after_warm_up_mb_per_min"}
    assert set(summary["pending"]) == {"max", "end", "bound"}
    assert summary["pending"]["max"] <= summary["pending"]["bound"]  # bounded by construction, not a speed
    assert {"conflated", "ticks_accepted", "ticks_read_by_consumer", "samples"} <= set(summary)
    assert summary["samples"]
    assert "| RSS start MiB |" in done.stdout


@pytest.mark.timeout(150)
def test_fanout_smoke_with_client_processes_and_both_kinds(tmp_path: Path) -> None:
    """``--client-procs --kinds quote,orderbook --split``: every session its own process, every pair notified."""
    out = tmp_path / "fanout.json"
    argv = [sys.executable, "-m", "bench.streaming", "--fanout", "--smoke", "--spread", "--codes", "10"]
    argv += ["--kinds", "quote,orderbook", "--client-procs", "--split", "--out", str(out), "--logs", str(tmp_path)]
    done = subprocess.run(argv, env=child_env(), capture_output=True, text=True, timeout=140, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(out.read_text())["fanout"]
    assert summary["kinds"] == ["quote", "orderbook"]
    assert summary["client_processes"] is True
    assert summary["target_ticks_per_s"] == 20  # 10 items × 2 kinds, once a second
    (run,) = summary["runs"]
    assert run["client_processes"] is True
    assert run["uris_per_client"] == 20
    assert run["warmed_up"] is True  # every quote and order-book URI was notified through its own process
    assert run["notifications_without_received_at"] == 0
    assert run["latency_ms"]["p50"] is not None
    assert "| N clients |" in done.stdout
