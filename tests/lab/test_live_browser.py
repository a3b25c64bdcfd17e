"""``kiwoom-lab serve`` in a real headless browser: Debian's chromium, driven through its chromedriver.

Skipped on a machine without the browser, except under CI (``CI`` set), where ``.ci/run``
installs it: there a missing browser is a failure, so the test can never silently not run.
The machine has no Korean font installed (``fc-list :lang=ko`` prints nothing), so the Hangul
on these pages can only render through the face the page embeds; the test measures it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fontTools.ttLib import TTFont

from fake_kiwoom import create_app
from fake_kiwoom.scenario_model import load_scenario
from kiwoom_lab import fonts
from kiwoom_lab.catalog import resolve
from kiwoom_lab.loopback import child_env, free_port, loopback_url, serve, wait_until_ok

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path("/tmp")
KOREAN_SAMPLE = "한국어 타임라인"
TOKEN_REQUEST = {"grant_type": "client_credentials", "appkey": "a", "secretkey": "b"}

pytestmark = [pytest.mark.socket, pytest.mark.timeout(180)]


def _browser_missing() -> str | None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        return f"{', '.join(missing)} missing (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (the test extra)"
    return None


@pytest.fixture
def driver() -> Iterator[Any]:
    """Headless chromium; under CI a missing browser fails instead of skipping."""
    problem = _browser_missing()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test: {problem}; .ci/run installs it")
        pytest.skip(problem)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(argument)
    # An explicit driver path: Selenium Manager is never asked to download anything.
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield browser
    finally:
        browser.quit()


@contextlib.contextmanager
def kiwoom_lab_serve(*extra: str) -> Iterator[str]:
    """``kiwoom-lab --lang ko serve`` as a real process on a free port; its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "kiwoom_lab", "--lang", "ko", "serve", "--port", str(port), *extra]
    with subprocess.Popen(command, env=child_env(), stdout=subprocess.DEVNULL) as process:
        try:
            wait_until_ok(f"{loopback_url(port)}/api/info", process=process)
            yield loopback_url(port)
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(browser: Any, condition: Callable[[Any], Any], timeout_s: float = 60.0) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout_s, poll_frequency=0.05).until(condition)


def rows(browser: Any) -> list[dict[str, str]]:
    """The timeline rows the page shows, in order, as their data attributes."""
    found: list[dict[str, str]] = browser.execute_script(
        "return [...document.querySelectorAll('#events tbody tr')].map((row) => ({...row.dataset}));"
    )
    return found


def click(browser: Any, selector: str) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.CSS_SELECTOR, selector).click()


def squeeze(text: str) -> str:
    return "".join(text.split())


def run_lesson(browser: Any, name: str) -> list[dict[str, str]]:
    click(browser, f'button[data-scenario="{name}"]')
    wait_for(browser, lambda b: b.execute_script("return !document.getElementById('run').disabled"))
    click(browser, "#run")
    wait_for(browser, lambda b: b.execute_script("return document.getElementById('verdict').dataset.verdict"))
    return rows(browser)


def test_a_lesson_grows_live_then_shows_its_verdict(driver: Any) -> None:
    with kiwoom_lab_serve() as url:
        driver.get(url)
        wait_for(driver, lambda b: b.execute_script("return document.querySelectorAll('button.scenario').length"))
        assert driver.execute_script("return document.documentElement.lang") == "ko"
        click(driver, 'button[data-scenario="ttl_expiry"]')
        narrative = driver.execute_script("return document.getElementById('narrative').textContent")
        assert squeeze(narrative) == squeeze(load_scenario(resolve("ttl_expiry")).narrative("ko"))

        quiet = run_lesson(driver, "ttl_expiry")
        verdict = driver.execute_script("return document.getElementById('verdict').dataset.verdict")
        assert verdict == "PASS"
        assert [row["label"] for row in quiet if row["kind"] == "call"] == ["simulated", "cache", "simulated"]
        assert {row["label"] for row in quiet if row["kind"] == "request"} == {"200"}

        # 5xx_burst takes ~3 s of real time: its first 503 shows while the run still has no verdict.
        click(driver, 'button[data-scenario="5xx_burst"]')
        click(driver, "#run")
        seen = wait_for(
            driver,
            lambda b: b.execute_script(
                "const rows = document.querySelectorAll('#events tbody tr[data-label=\"503\"]');"
                "return rows.length ? {rows: rows.length, verdict: document.getElementById('verdict').dataset.verdict}"
                " : null;"
            ),
        )
        assert seen["verdict"] is None, "the 503 rows came only with the verdict: the page did not grow live"
        wait_for(driver, lambda b: b.execute_script("return document.getElementById('verdict').dataset.verdict"))
        burst = rows(driver)
        assert driver.execute_script("return document.getElementById('verdict').dataset.verdict") == "PASS"
        assert [row["label"] for row in burst if row["kind"] == "request" and row["label"] != "200"] == ["503", "503"]
        assert [row["kind"] for row in burst].count("retry") == 2
        driver.save_screenshot(str(SCREENSHOTS / "kiwoom-lab-live-lesson.png"))


def advance_width(text: str, size_px: float) -> float:
    """The width ``text`` has in the shipped face at ``size_px``, from its own metrics."""
    font = TTFont(io.BytesIO(fonts.font_bytes()))
    cmap, metrics = font.getBestCmap(), font["hmtx"].metrics
    units = sum(metrics[cmap[ord(ch)]][0] for ch in text)
    return float(units * size_px / font["head"].unitsPerEm)


MEASURE = """
const [sample, done] = arguments;
(async () => {
  await document.fonts.load('32px "Kiwoom Lab Hangul"', sample);
  await document.fonts.ready;
  const context = document.createElement("canvas").getContext("2d");
  const width = (family) => { context.font = `32px ${family}`; return context.measureText(sample).width; };
  done({
    check: document.fonts.check('16px "Kiwoom Lab Hangul"', "한국어"),
    embedded: width('"Kiwoom Lab Hangul"'),
    monospace: width("monospace"),
    body: getComputedStyle(document.body).fontFamily,
  });
})();
"""


def test_korean_renders_in_the_embedded_face(driver: Any) -> None:
    with kiwoom_lab_serve() as url:
        driver.get(url)
        wait_for(driver, lambda b: b.execute_script("return document.querySelectorAll('button.scenario').length"))
        measured = driver.execute_async_script(MEASURE, KOREAN_SAMPLE)
        assert measured["check"] is True
        assert measured["body"].startswith('"Kiwoom Lab Hangul"')
        assert measured["embedded"] == pytest.approx(advance_width(KOREAN_SAMPLE, 32), abs=0.5)
        assert abs(measured["embedded"] - measured["monospace"]) > 1.0  # without the face: boxes of another width
        title = driver.execute_script("return document.querySelector('h1').textContent")
        assert re.search(r"[\uac00-\ud7a3]", title)
        headers = driver.execute_script("return [...document.querySelectorAll('th')].map((th) => th.textContent)")
        assert headers == ["시각(초)", "주체", "종류", "결과", "내용"]
        driver.save_screenshot(str(SCREENSHOTS / "kiwoom-lab-live-korean.png"))


def tr_request(client: httpx2.Client, token: str) -> httpx2.Response:
    """One ka10001 request, as kiwoom-mcp would send it."""
    headers = {"api-id": "ka10001", "authorization": f"Bearer {token}"}
    return client.post("/api/dostk/stkinfo", headers=headers, json={"stk_cd": "005930"})


def test_following_a_fake_shows_its_requests_and_switches_its_scenario(driver: Any) -> None:
    with serve(create_app()) as fake_url, kiwoom_lab_serve("--fake", fake_url) as url:
        driver.get(url)
        wait_for(driver, lambda b: b.execute_script("return document.getElementById('status').className") == "tone-ok")
        with httpx2.Client(base_url=fake_url, timeout=10) as client:
            token = client.post("/oauth2/token", json=TOKEN_REQUEST).json()["token"]
            assert tr_request(client, token).status_code == 200
            wait_for(driver, lambda b: [r["label"] for r in rows(b) if r["kind"] == "request"] == ["200", "200"])

            click(driver, 'button[data-scenario="5xx_burst"]')
            click(driver, "#switch")
            wait_for(driver, lambda b: any(r["kind"] == "scenario" and r["label"] == "5xx_burst" for r in rows(b)))
            assert driver.execute_script("return document.getElementById('current').dataset.scenario") == "5xx_burst"

            assert tr_request(client, token).status_code == 503  # the fake now answers differently
            wait_for(driver, lambda b: any(r["label"] == "503" for r in rows(b)))
        shown = rows(driver)
        switch_at = next(i for i, r in enumerate(shown) if r["kind"] == "scenario")
        assert [r["label"] for r in shown[:switch_at]] == ["200", "200"]
        assert [r["label"] for r in shown[switch_at + 1 :]] == ["503"]
        driver.save_screenshot(str(SCREENSHOTS / "kiwoom-lab-live-follow.png"))


FLOOD = """
const [count, stepS, done] = arguments;
let draws = 0;
const drawOnce = window.drawLanes;
window.drawLanes = () => { draws += 1; drawOnce(); };  // the page calls it through the global name
for (let i = 0; i < count; i += 1) {
  upsert({key: `flood${i}`, t: i * stepS, kind: "request", label: "200", detail: "", tone: "ok", side: "fake"});
}
requestAnimationFrame(() => requestAnimationFrame(() => done({
  draws,
  shown: [...document.querySelectorAll("#events tbody tr")].map((row) => Number(row.cells[0].textContent)),
  marks: document.querySelectorAll("#lanes .mark").length,
})));
"""


def test_following_keeps_only_the_window_and_draws_once_per_frame(driver: Any) -> None:
    """A flood of rows (a reconnect replays thousands) is drawn once, and rows older than the window go."""
    with serve(create_app()) as fake_url, kiwoom_lab_serve("--fake", fake_url) as url:
        driver.get(url)
        wait_for(driver, lambda b: b.execute_script("return document.getElementById('status').className") == "tone-ok")
        assert "최근 5분만 표시" in driver.execute_script("return document.getElementById('mode').textContent")
        count, step_s = 2000, 0.5
        flooded = driver.execute_async_script(FLOOD, count, step_s)
    newest = (count - 1) * step_s
    kept = [i * step_s for i in range(count) if i * step_s >= newest - 300]  # FOLLOW_WINDOW_S in page.js
    assert flooded["shown"] == kept
    assert flooded["marks"] == len(kept)
    assert 1 <= flooded["draws"] <= 2, "the chart was redrawn per row, not per frame"
