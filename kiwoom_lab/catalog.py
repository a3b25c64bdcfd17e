"""Where the scenario catalog lives, and how ``kiwoom-lab`` turns a name into a file.

The catalog's editable source is the repository's top-level ``scenarios/``. The wheel ships a
copy inside the package, as ``kiwoom_lab/scenarios`` (hatchling ``force-include`` in
pyproject.toml), so an installed ``kiwoom-lab run 5xx_burst`` works from any directory.

The catalog directory is, in this order:

1. ``--dir DIR``, when given: the user said where;
2. the packaged catalog, ``scenarios`` inside the installed ``kiwoom_lab`` package;
3. the checkout's ``scenarios/`` beside the ``kiwoom_lab`` source package, for an editable
   install or a source tree on ``sys.path`` (there the package directory holds no copy).

The current directory is never searched: an unrelated ``./scenarios`` folder wherever the
learner happens to stand must not silently replace the catalog. A file of one's own is run
by its path (``kiwoom-lab run ./mine.yaml``), and a folder of them with ``--dir``.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

from fake_kiwoom.scenario_model import Lang, ScenarioError

#: Where the wheel puts the catalog, relative to the ``kiwoom_lab`` package; pyproject.toml's
#: ``[tool.hatch.build.targets.wheel.force-include]`` must map ``scenarios`` here.
PACKAGED = "scenarios"

SUFFIXES = (".yaml", ".yml")


def catalog_dir() -> Path:
    """The packaged catalog, else the checkout's ``scenarios/`` (never the current directory).

    A wheel install has the packaged copy; an editable install does not (its ``kiwoom_lab`` is
    the source directory), so it falls back to the checkout, whose ``scenarios/`` is the source
    of that copy. The checkout is recognised by its ``pyproject.toml``, so a stray
    ``site-packages/scenarios`` of some other distribution is never taken for the catalog.
    """
    packaged = files("kiwoom_lab") / PACKAGED
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    root = Path(__file__).resolve().parents[1]
    checkout = root / "scenarios"
    if (root / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    raise ScenarioError(
        f"the scenario catalog is missing (looked in {packaged} and {checkout}); "
        "reinstall kiwoom-mcp, or name a directory with --dir"
    )


def scenario_files(directory: Path) -> list[Path]:
    """The scenario files of ``directory``, sorted by name; an error if there are none."""
    found = sorted(path for path in directory.glob("*") if path.suffix in SUFFIXES and path.is_file())
    if not found:
        raise ScenarioError(f"no scenario files in {directory}")
    return found


def looks_like_path(target: str) -> bool:
    """A ``run`` argument with a directory part or a ``.yaml`` suffix is a path, not a name.

    Deciding by the shape of the argument, not by what happens to exist in the current
    directory, is what keeps ``run 5xx_burst`` meaning the catalog's ``5xx_burst`` everywhere.
    """
    return "/" in target or "\\" in target or target.endswith(SUFFIXES)


def resolve(target: str, directory: Path | None = None) -> Path:
    """The file ``kiwoom-lab run TARGET`` means: a path as given, or a name in the catalog.

    ``directory`` is ``--dir``; without it the catalog is looked up only when ``TARGET`` is a
    name, so a path runs even where no catalog is installed. Errors are one line, as a
    learner reads them at a prompt: a missing file says whether the catalog has a scenario of
    that name; an unknown name lists the names that exist.
    """
    if looks_like_path(target):
        path = Path(target)
        if path.is_file():
            return path
        hint = ""
        if path.parent == Path() and path.stem in _known(directory):
            hint = f" (the catalog's {path.stem} is run by name: kiwoom-lab run {path.stem})"
        raise ScenarioError(f"{target}: no such scenario file{hint}")
    directory = directory or catalog_dir()
    for suffix in SUFFIXES:
        path = directory / f"{target}{suffix}"
        if path.is_file():
            return path
    known = ", ".join(_known(directory)) or "none"
    raise ScenarioError(f"unknown scenario {target!r} in {directory}; known: {known}")


def _known(directory: Path | None) -> list[str]:
    """The catalog's names for use inside another error message: ``[]`` rather than a second error."""
    try:
        return names(directory or catalog_dir())
    except ScenarioError:
        return []


def names(directory: Path) -> list[str]:
    """The names ``run`` accepts for ``directory``: its file names without the suffix."""
    return [path.stem for path in scenario_files(directory)]


def catalog_lines(directory: Path, lang: Lang = "en") -> dict[str, str]:
    """The one-line summaries of the catalog table in ``directory/README.md``, by file name.

    The README's table is written for people; ``list`` reuses it so the two never disagree.
    Its rows are ``| file | one line | 한 줄 요약 |``; ``lang="ko"`` reads the third column, and
    a row without one is left out (``list`` then falls back to the narrative's first sentence).
    """
    readme = directory / "README.md"
    if not readme.is_file():
        return {}
    text = readme.read_text(encoding="utf-8")
    rows = re.findall(r"^\|\s*`([^`]+\.ya?ml)`\s*\|\s*(.+?)\s*\|(?:\s*(.+?)\s*\|)?\s*$", text, re.M)
    column = 2 if lang == "ko" else 1
    return {row[0]: row[column] for row in rows if row[column]}
