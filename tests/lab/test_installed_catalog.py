"""The catalog travels with the package: ``kiwoom-lab`` finds it by name from any directory.

The subprocess tests run the installed console script (the one beside ``sys.executable``) in
an empty directory, so they see what a learner sees after ``pip install``: under tox, where
the package is installed as a wheel, the copy hatchling's ``force-include`` put inside
``kiwoom_lab``; in the dev venv's editable install, the checkout's ``scenarios/``.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tomllib

import pytest

from kiwoom_lab.__main__ import main
from kiwoom_lab.catalog import PACKAGED

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECKOUT = ROOT / "scenarios"
NAMES = sorted(path.stem for path in CHECKOUT.glob("*.yaml"))
LAB = pathlib.Path(sys.executable).parent / "kiwoom-lab"


def outside(cwd: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in ``cwd``, far from the checkout, with the environment the tests run with."""
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=50, env=dict(os.environ), check=False)


def test_list_from_another_directory_prints_every_catalog_name(tmp_path: pathlib.Path) -> None:
    done = outside(tmp_path, str(LAB), "list")
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()] == NAMES


@pytest.mark.socket
def test_run_by_name_from_another_directory_passes(tmp_path: pathlib.Path) -> None:
    done = outside(tmp_path, str(LAB), "run", "5xx_burst")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS  attempts: expected 3, observed 3" in done.stdout


def test_the_installed_catalog_holds_every_file_of_the_checkout(tmp_path: pathlib.Path) -> None:
    """The resolver, as installed, serves the checkout's catalog byte for byte: the wheel cannot drift."""
    probe = "from kiwoom_lab.catalog import catalog_dir; print(catalog_dir())"
    done = outside(tmp_path, sys.executable, "-c", probe)
    assert done.returncode == 0, done.stderr
    installed = pathlib.Path(done.stdout.strip())
    assert {p.name: p.read_bytes() for p in installed.iterdir() if p.is_file()} == {
        p.name: p.read_bytes() for p in CHECKOUT.iterdir() if p.is_file()
    }


def test_the_wheel_puts_the_catalog_where_the_resolver_looks() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    force_include = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert force_include == {"scenarios": f"kiwoom_lab/{PACKAGED}"}


def test_an_unknown_name_exits_2_with_one_line_listing_the_known_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "no_such_lesson"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unknown scenario 'no_such_lesson'" in err
    assert f"known: {', '.join(NAMES)}" in err


def test_a_scenarios_folder_in_the_current_directory_does_not_replace_the_catalog(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "only_here.yaml").write_text("version: 1\nname: only_here\nrules: []\n")
    monkeypatch.chdir(tmp_path)
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "only_here" not in out
    assert "5xx_burst" in out


def test_a_missing_yaml_file_points_at_the_catalog_name(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", "5xx_burst.yaml"]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "5xx_burst.yaml: no such scenario file (the catalog's 5xx_burst is run by name: kiwoom-lab run 5xx_burst)\n"
    )
