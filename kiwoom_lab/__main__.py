"""``kiwoom-lab``: run a scenario against the fake and the real client, and show what happened.

    kiwoom-lab list                                   the catalog: names for `run`, one line each
    kiwoom-lab run 5xx_burst                          timeline table and PASS/FAIL per expectation
    kiwoom-lab run hang --html hang.html --svg hang.svg --json hang.json
    kiwoom-lab run 5xx_burst --set KIWOOM_RETRY_DELAY=0.2   experiment
    kiwoom-lab run ./mine.yaml                        a file of one's own, by its path
    kiwoom-lab run --all                              every catalog scenario, a summary table
    kiwoom-lab --lang en run ttl_expiry               the lesson's narrative in English (default ko)
    kiwoom-lab serve                                  the live timeline page (kiwoom_lab.live)

``--lang ko|en`` (or ``KIWOOM_LAB_LANG``) picks the language of the narratives and of the few
words around them, in the terminal and in the charts; Korean by default, as the learners are
Korean developers. It may stand before or after the subcommand.

A name is looked up in ``--dir DIR`` if given, else in the catalog installed with the package
(the checkout's ``scenarios/`` in an editable install); never in the current directory, so an
unrelated ``./scenarios`` cannot stand in for the catalog. See ``kiwoom_lab.catalog``.

Exit codes: 0 every expectation met, 1 some failed, 2 an invalid scenario file or option.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, cast

from pydantic import ValidationError

from fake_kiwoom.scenario_model import LANGS, Lang, ScenarioError, load_scenario
from kiwoom.config import Settings
from kiwoom.settings_errors import describe
from kiwoom_lab.catalog import catalog_dir, catalog_lines, resolve, scenario_files
from kiwoom_lab.chart import render_html, render_svg
from kiwoom_lab.render_text import checks_block, overrides_lines, render, summary_table, ui
from kiwoom_lab.report import RunReport
from kiwoom_lab.runner import run_file
from kiwoom_lab.spec import build_settings, parse_expect
from krx.textwidth import truncate

EXIT_PASS, EXIT_FAIL, EXIT_INVALID = 0, 1, 2

#: The environment variable that sets ``--lang`` for a learner who always wants one language.
LANG_ENV = "KIWOOM_LAB_LANG"


def _first_sentence(text: str, columns: int = 100) -> str:
    """The text's first sentence, cut to ``columns`` display columns (Korean takes two a syllable)."""
    return truncate(" ".join(text.split()).split(". ")[0], columns)


def cmd_list(directory: Path, lang: Lang = "ko") -> int:
    """One line per scenario, led by the name ``run`` takes (the file name, whatever ``name:`` says).

    The summary is the catalog table's column for ``lang`` (scenarios/README.md), else the
    first sentence of the lesson's narrative in that language.
    """
    lines = catalog_lines(directory, lang)
    files = scenario_files(directory)
    width = max(len(f.stem) for f in files)
    status = EXIT_PASS
    for path in files:
        try:
            scenario = load_scenario(path)
            expect = parse_expect(scenario, str(path))
        except ScenarioError as exc:
            print(f"{path.stem:<{width}}  INVALID: {str(exc).splitlines()[0]}")
            status = EXIT_INVALID
            continue
        summary = lines.get(path.name) or _first_sentence(scenario.narrative(lang))
        clock = "  " + ui("virtual_tag", lang) if expect.clock == "virtual" else ""
        print(f"{path.stem:<{width}}  {summary}{clock}")
    return status


def _overrides(pairs: Sequence[str]) -> dict[str, str]:
    """``--set`` pairs, checked against the client's settings before anything runs."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.startswith("KIWOOM_"):
            raise ScenarioError(f"--set {pair!r}: expected KIWOOM_NAME=value")
        out[name] = value
    try:
        build_settings({}, "http://127.0.0.1:1", overrides=out)
    except ValidationError as exc:
        # One line per variable (KIWOOM_TIMEOUT='abc': 숫자여야 합니다), not pydantic's field dump.
        raise ScenarioError("\n".join(f"--set {line}" for line in describe(exc, Settings))) from None
    except ValueError as exc:
        raise ScenarioError(f"--set: {exc}") from None
    return out


def _write(path: str | None, page: Callable[[], str], what: str) -> None:
    """Render ``page`` and write it to ``path``, only if the option asked for it."""
    if path:
        Path(path).write_text(page(), encoding="utf-8")
        print(f"{what} written to {path}")


def cmd_run(args: argparse.Namespace) -> int:
    overrides = _overrides(args.set or [])
    report = run_file(resolve(args.scenario, args.dir), overrides=overrides, via=args.via)
    print(render(report, lang=args.lang))
    _write(args.html, lambda: render_html(report, lang=args.lang), "HTML timeline")
    _write(args.svg, lambda: render_svg(report, lang=args.lang), "SVG timeline")
    _write(args.json, lambda: json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str), "JSON report")
    return EXIT_PASS if report.passed else EXIT_FAIL


def cmd_run_all(
    directory: Path, overrides: dict[str, str], out_dir: str | None, via: str = "client", lang: Lang = "ko"
) -> int:
    """Every scenario of ``directory``: a PASS/FAIL line each as it ends, the failures' checks, a summary."""
    files = scenario_files(directory)
    rows: list[tuple[str, str, str, str]] = []
    failed: list[RunReport] = []
    invalid = False
    started = time.perf_counter()
    for path in files:
        try:
            report = run_file(path, overrides=overrides, via=via)
        except ScenarioError as exc:
            print(str(exc), file=sys.stderr)
            rows.append((path.stem, "-", "-", "INVALID"))
            invalid = True
            continue
        met = sum(c.passed for c in report.checks)
        rows.append(
            (
                report.scenario.name,
                report.clock,
                f"{met}/{len(report.checks)} in {report.wall_s:.1f} s",
                "PASS" if report.passed else "FAIL",
            )
        )
        print(f"{rows[-1][3]}  {report.scenario.name}", flush=True)
        if not report.passed:
            failed.append(report)
        if out_dir:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            html = render_html(report, lang=lang)
            Path(out_dir, f"{report.scenario.name}.html").write_text(html, encoding="utf-8")
    for report in failed:
        print(f"\n{report.scenario.name} ({report.source}):\n{checks_block(report, lang)}")
    print()
    print("\n".join([*overrides_lines(overrides, lang), summary_table(rows)]))
    passed, seconds = len(files) - len(failed) - invalid, time.perf_counter() - started
    print("\n" + ui("tally", lang, passed=passed, total=len(files), seconds=seconds))
    if invalid:
        return EXIT_INVALID
    return EXIT_FAIL if failed else EXIT_PASS


LOOKUP = """\
where scenarios are found:
  run NAME          NAME as `list` prints it (e.g. 5xx_burst), looked up in --dir DIR if given,
                    else in the catalog installed with kiwoom-lab (in an editable install, the
                    checkout's scenarios/). The current directory is not searched: a local
                    ./scenarios folder never replaces the catalog; pass --dir ./scenarios.
  run PATH          an argument with a / or ending in .yaml is a file: run ./mine.yaml
  run --all, list   every *.yaml in --dir DIR if given, else in the catalog
"""


LANG_HELP = f"language of the lesson narratives: ko (default) or en; also ${LANG_ENV}"


class ServeCommand(Protocol):
    """What ``kiwoom_lab.live.cli`` offers ``kiwoom-lab serve``: its options, and running it."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def cmd_serve(args: argparse.Namespace, rest: list[str]) -> int:
    """``kiwoom-lab serve``: the live page, which ``kiwoom_lab.live.cli`` owns, options and all.

    Imported only here, so ``list`` and ``run`` neither pay for the web server's imports nor
    break without it. ``rest`` holds serve's own options, parsed by the parser that module
    fills (``kiwoom-lab serve --help`` prints that parser's help); the global ``--lang`` is
    handed on as ``args.lang``.
    """
    try:
        live = cast(ServeCommand, importlib.import_module("kiwoom_lab.live.cli"))
    except ModuleNotFoundError as exc:
        if exc.name not in ("kiwoom_lab.live", "kiwoom_lab.live.cli"):
            raise
        print("kiwoom-lab serve: the live page (kiwoom_lab.live) is not installed", file=sys.stderr)
        return EXIT_INVALID
    serve = argparse.ArgumentParser(prog="kiwoom-lab serve", description="The lab's live timeline page.")
    live.add_arguments(serve)
    serve_args = serve.parse_args(rest)
    serve_args.lang = args.lang
    return live.run(serve_args)


def parser() -> argparse.ArgumentParser:
    """``kiwoom-lab``'s options; ``--lang`` is accepted before the subcommand and after it."""
    top = argparse.ArgumentParser(
        prog="kiwoom-lab",
        description="Replay failure scenarios against the fake Kiwoom server and the real client.",
        epilog=LOOKUP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--logs", action="store_true", help="also print the client's log lines (재시도 ...)")
    top.add_argument("--lang", default=os.environ.get(LANG_ENV) or "ko", choices=LANGS, help=LANG_HELP)
    # The same option on every subcommand, without a default there, so `run x --lang en` works
    # and a subcommand that was not given --lang keeps the global (or environment) choice.
    after = argparse.ArgumentParser(add_help=False)
    after.add_argument("--lang", default=argparse.SUPPRESS, choices=LANGS, help=LANG_HELP)
    sub = top.add_subparsers(dest="command", required=True)
    catalog = "scenario directory instead of the installed catalog"
    listing = sub.add_parser(
        "list",
        help="the scenario catalog: the names `run` takes, one line each",
        epilog=LOOKUP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[after],
    )
    listing.add_argument("--dir", type=Path, default=None, help=catalog)
    run = sub.add_parser(
        "run",
        help="run one scenario (a catalog name or a file), or --all",
        epilog=LOOKUP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[after],
    )
    run.add_argument("scenario", nargs="?", help="a catalog name (5xx_burst) or a file path (./mine.yaml)")
    run.add_argument("--all", action="store_true", help="run every scenario of the catalog (or --dir) with a summary")
    run.add_argument("--dir", type=Path, default=None, help=f"{catalog}, for names and --all")
    run.add_argument("--html", metavar="PATH", help="write the timeline chart as a self-contained HTML page")
    run.add_argument("--svg", metavar="PATH", help="write the timeline chart as an SVG image")
    run.add_argument("--json", metavar="PATH", help="write the whole report as JSON")
    run.add_argument("--html-dir", metavar="DIR", help="with --all: one HTML page per scenario in DIR")
    run.add_argument(
        "--via",
        choices=["client", "mcp"],
        default="client",
        help="make the calls with the client, or as MCP tool calls through KiwoomMCPServer",
    )
    run.add_argument(
        "--set", action="append", metavar="KIWOOM_NAME=VALUE", help="override a client setting (repeatable)"
    )
    # serve's own options belong to kiwoom_lab.live.cli (see cmd_serve); --help goes there too.
    serve_help = "the live timeline page in a browser (see kiwoom-lab serve --help)"
    sub.add_parser("serve", help=serve_help, add_help=False, parents=[after])
    return top


def main(argv: Sequence[str] | None = None) -> int:
    top = parser()
    args, rest = top.parse_known_args(argv)
    if rest and args.command != "serve":
        top.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.lang not in LANGS:
        # Only the environment can get here: argparse checks the option's own values.
        print(f"kiwoom-lab: {LANG_ENV}={args.lang!r}: expected one of {', '.join(LANGS)}", file=sys.stderr)
        return EXIT_INVALID
    logging.basicConfig(level=logging.WARNING if args.logs else logging.CRITICAL, format="  log  %(message)s")
    try:
        if args.command == "serve":
            return cmd_serve(args, rest)
        if args.command == "list":
            return cmd_list(args.dir or catalog_dir(), args.lang)
        if args.all == bool(args.scenario):
            print(
                "kiwoom-lab run: give one scenario (a name from `kiwoom-lab list`, or a file) or --all", file=sys.stderr
            )
            return EXIT_INVALID
        if args.all:
            overrides = _overrides(args.set or [])
            return cmd_run_all(args.dir or catalog_dir(), overrides, args.html_dir, args.via, args.lang)
        return cmd_run(args)
    except ScenarioError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        # `kiwoom-lab list | head` closed the pipe: stop quietly, as Unix tools do.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
