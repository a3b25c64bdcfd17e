"""``kiwoom-demo`` against a Kiwoom that does not answer: it says at once what it is waiting for."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from kiwoom_lab.loopback import child_env, silent_upstream

pytestmark = [pytest.mark.socket, pytest.mark.realtime]


def test_demo_names_the_host_within_5_s_although_upstream_hangs() -> None:
    with silent_upstream() as upstream:
        env = child_env(KIWOOM_BASE_URL=upstream)
        with subprocess.Popen(
            [sys.executable, "-m", "kiwoom.demo", "005930"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as proc:
            assert proc.stdout is not None
            with ThreadPoolExecutor(1) as pool:
                line = pool.submit(proc.stdout.readline)
                try:
                    first = line.result(timeout=5)
                finally:
                    proc.kill()  # ends the reader too (EOF) if it is still waiting
    assert first.startswith("키움 API 연결 중")
    assert upstream.removeprefix("http://") in first
