"""Every lesson speaks Korean first and English on request, in the catalog, ``list`` and ``run``.

The learners are Korean developers: a catalog lesson without a Korean text, or whose Korean
text forgets a setting the English one names, would leave them a step behind the English
reader. ``--lang`` (or ``KIWOOM_LAB_LANG``) picks the language; Korean is the default.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import sys
import types
from argparse import ArgumentParser, Namespace

import pytest

from fake_kiwoom.scenario_model import LANGS, Lang, load_scenario
from kiwoom_lab.__main__ import LANG_ENV, main
from kiwoom_lab.catalog import catalog_lines
from kiwoom_lab.render_text import WIDTH, narrative_block
from krx.textwidth import width

CATALOG = sorted(pathlib.Path("scenarios").glob("*.yaml"))
HANGUL = re.compile(r"[가-힣]")
SETTING = re.compile(r"KIWOOM_[A-Z0-9_]+")
#: First lines of ttl_expiry's narrative: what `run ttl_expiry` prints in each language.
TTL_KO = "장애는 없습니다. 합성 시세가 시계에 따라 움직입니다."
TTL_EN = "No faults: the synthetic price moves with the clock."


@pytest.fixture(autouse=True)
def no_language_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own KIWOOM_LAB_LANG must not change what these tests call the default."""
    monkeypatch.delenv(LANG_ENV, raising=False)


@pytest.mark.parametrize("path", CATALOG, ids=[p.stem for p in CATALOG])
def test_every_catalog_lesson_has_a_korean_and_an_english_text(path: pathlib.Path) -> None:
    scenario = load_scenario(path)
    assert scenario.bilingual, f"{path}: description must be {{ko: ..., en: ...}}"
    korean, english = scenario.narrative("ko"), scenario.narrative("en")
    assert korean.strip()
    assert english.strip()
    assert korean != english
    assert len(HANGUL.findall(korean)) > len(korean) // 4, "the Korean text is mostly Korean"
    # English quotes the server's Korean messages ("[8005:Token이 유효하지 않습니다]"), no more.
    assert len(HANGUL.findall(english)) < len(english) // 20


@pytest.mark.parametrize("path", CATALOG, ids=[p.stem for p in CATALOG])
def test_both_texts_name_the_same_settings(path: pathlib.Path) -> None:
    scenario = load_scenario(path)
    assert set(SETTING.findall(scenario.narrative("ko"))) == set(SETTING.findall(scenario.narrative("en")))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", CATALOG, ids=[p.stem for p in CATALOG])
def test_every_narrative_fits_the_terminal_in_both_languages(path: pathlib.Path, lang: Lang) -> None:
    block = narrative_block(load_scenario(path), lang)
    assert [line for line in block.splitlines() if width(line) > WIDTH] == []


def test_the_catalog_table_has_a_korean_line_for_every_lesson_it_lists() -> None:
    english, korean = catalog_lines(pathlib.Path("scenarios")), catalog_lines(pathlib.Path("scenarios"), "ko")
    assert english
    assert set(korean) == set(english)
    assert all(HANGUL.search(line) for line in korean.values())
    assert not any(HANGUL.search(line) for line in english.values())


def test_list_speaks_korean_by_default_and_english_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    korean = capsys.readouterr().out
    assert "프록시 503 페이지 두 번 뒤 OK" in korean
    assert "two proxy 503 pages" not in korean
    assert "[가상 시계]" in korean
    assert main(["list", "--lang", "en"]) == 0
    english = capsys.readouterr().out
    assert "two proxy 503 pages, then OK" in english
    assert "프록시" not in english
    assert "[virtual clock]" in english


def test_the_environment_chooses_the_language_and_the_option_wins(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LANG_ENV, "en")
    assert main(["list"]) == 0
    assert "two proxy 503 pages" in capsys.readouterr().out
    assert main(["--lang", "ko", "list"]) == 0
    assert "프록시 503 페이지" in capsys.readouterr().out


def test_an_unknown_language_in_the_environment_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LANG_ENV, "fr")
    assert main(["list"]) == 2
    assert f"{LANG_ENV}='fr'" in capsys.readouterr().err


def test_list_without_a_korean_table_line_falls_back_to_the_korean_narrative(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy("scenarios/ttl_expiry.yaml", tmp_path)
    (tmp_path / "README.md").write_text("| `ttl_expiry.yaml` | an English line only |\n", encoding="utf-8")
    assert main(["list", "--dir", str(tmp_path)]) == 0
    assert "ttl_expiry  장애는 없습니다  [가상 시계]" in capsys.readouterr().out
    assert main(["--lang", "en", "list", "--dir", str(tmp_path)]) == 0
    assert "ttl_expiry  an English line only" in capsys.readouterr().out


@pytest.mark.socket
def test_run_prints_the_korean_narrative_by_default_and_the_english_with_lang_en(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "ttl_expiry"]) == 0
    korean = capsys.readouterr().out
    assert main(["run", "ttl_expiry", "--lang", "en"]) == 0
    english = capsys.readouterr().out
    assert TTL_KO in korean
    assert TTL_EN not in korean
    assert "기대 결과 3개 중 3개 충족" in korean
    assert TTL_EN in english
    assert TTL_KO not in english
    assert "3/3 expectations met" in english


@pytest.mark.socket
def test_run_shows_the_set_overrides_in_its_header(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "ttl_expiry", "--set", "KIWOOM_RETRY_DELAY=0.2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    blank = lines.index("")
    assert "설정 변경 (--set): KIWOOM_RETRY_DELAY=0.2" in lines[:blank], "the header, above the narrative"
    assert main(["--lang", "en", "run", "ttl_expiry"]) == 0
    assert "overrides (--set)" not in capsys.readouterr().out, "no overrides, no line"


@pytest.mark.socket
def test_run_all_shows_the_overrides_above_its_summary(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy("scenarios/ttl_expiry.yaml", tmp_path)
    argv = ["run", "--all", "--dir", str(tmp_path), "--set", "KIWOOM_RETRY_DELAY=0.2", "--set", "KIWOOM_TIMEOUT=5"]
    assert main([*argv, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "overrides (--set): KIWOOM_RETRY_DELAY=0.2, KIWOOM_TIMEOUT=5" in out
    assert out.index("overrides (--set)") < out.index("scenario  ")
    assert "1 of 1 passed" in out
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "설정 변경 (--set): KIWOOM_RETRY_DELAY=0.2, KIWOOM_TIMEOUT=5" in out
    assert "1개 중 1개 통과" in out


def test_serve_hands_its_options_and_the_language_to_the_live_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Namespace] = []

    def add_arguments(parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=8050)

    def run(args: Namespace) -> int:
        seen.append(args)
        return 0

    live = types.ModuleType("kiwoom_lab.live.cli")
    live.add_arguments = add_arguments  # type: ignore[attr-defined]
    live.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kiwoom_lab.live.cli", live)
    assert main(["--lang", "en", "serve", "--port", "8123"]) == 0
    assert main(["serve", "--lang", "en"]) == 0
    assert main(["serve"]) == 0
    assert [(args.port, args.lang) for args in seen] == [(8123, "en"), (8050, "en"), (8050, "ko")]


def test_options_serve_does_not_know_are_still_refused_elsewhere(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["list", "--port", "8123"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --port 8123" in capsys.readouterr().err
