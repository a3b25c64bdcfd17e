"""``kiwoom-lab``: run a scenario against the fake and the real client, and show what happened.

    kiwoom-lab list                                   the catalog: names for `run`, one line each
    kiwoom-lab run 5xx_burst                          timeline table and PASS/FAIL per expectation
    kiwoom-lab run hang --html hang.html --svg hang.svg --json hang.json
    kiwoom-lab run 5xx_burst --set KIWOOM_RETRY_DELAY=0.2   experiment
    kiwoom-lab run ./mine.yaml                        a file of one's own, by its path
    kiwoom-lab run --all                              every catalog scenario, a summary table

A name is looked up in ``--dir DIR`` if given, else in the catalog installed with the package
(the checkout's ``scenarios/`` in an editable install); never in the current directory, so an
unrelated ``./scenarios`` cannot stand in for the catalog. See ``kiwoom_lab.catalog``.

Exit codes: 0 every expectation met, 1 some failed, 2 an invalid scenario file or option.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from fake_kiwoom.scenario_model import ScenarioError, load_scenario
from kiwoom.config import Settings
from kiwoom.settings_errors import describe
from kiwoom_lab.catalog import catalog_dir, catalog_lines, resolve, scenario_files
from kiwoom_lab.chart import render_html, render_svg
from kiwoom_lab.render_text import checks_block, render, summary_table
from kiwoom_lab.report import RunReport
from kiwoom_lab.runner import run_file
from kiwoom_lab.spec import build_settings, parse_expect

EXIT_PASS, EXIT_FAIL, EXIT_INVALID = 0, 1, 2


def _first_sentence(text: str, limit: int = 100) -> str:
    sentence = " ".join(text.split()).split(". ")[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def cmd_list(directory: Path) -> int:
    """One line per scenario, led by the name ``run`` takes (the file name, whatever ``name:`` says)."""
    lines = catalog_lines(directory)
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
        summary = lines.get(path.name) or _first_sentence(scenario.narrative("en"))
        clock = "  [virtual clock]" if expect.clock == "virtual" else ""
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


def _write(path: str | None, text: str, what: str) -> None:
    if path:
        Path(path).write_text(text, encoding="utf-8")
        print(f"{what} written to {path}")


def cmd_run(args: argparse.Namespace) -> int:
    overrides = _overrides(args.set or [])
    report = run_file(resolve(args.scenario, args.dir), overrides=overrides, via=args.via)
    print(render(report))
    _write(args.html, render_html(report), "HTML timeline")
    _write(args.svg, render_svg(report), "SVG timeline")
    _write(args.json, json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str), "JSON report")
    return EXIT_PASS if report.passed else EXIT_FAIL


def cmd_run_all(directory: Path, overrides: dict[str, str], out_dir: str | None, via: str = "client") -> int:
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
            Path(out_dir, f"{report.scenario.name}.html").write_text(render_html(report), encoding="utf-8")
    for report in failed:
        print(f"\n{report.scenario.name} ({report.source}):\n{checks_block(report)}")
    print()
    print(summary_table(rows))
    print(f"\n{len(files) - len(failed) - invalid} of {len(files)} passed in {time.perf_counter() - started:.1f} s")
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


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="kiwoom-lab",
        description="Replay failure scenarios against the fake Kiwoom server and the real client.",
        epilog=LOOKUP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--logs", action="store_true", help="also print the client's log lines (재시도 ...)")
    sub = top.add_subparsers(dest="command", required=True)
    catalog = "scenario directory instead of the installed catalog"
    listing = sub.add_parser(
        "list",
        help="the scenario catalog: the names `run` takes, one line each",
        epilog=LOOKUP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.add_argument("--dir", type=Path, default=None, help=catalog)
    run = sub.add_parser(
        "run",
        help="run one scenario (a catalog name or a file), or --all",
        epilog=LOOKUP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.logs else logging.CRITICAL, format="  log  %(message)s")
    try:
        if args.command == "list":
            return cmd_list(args.dir or catalog_dir())
        if args.all == bool(args.scenario):
            print(
                "kiwoom-lab run: give one scenario (a name from `kiwoom-lab list`, or a file) or --all", file=sys.stderr
            )
            return EXIT_INVALID
        if args.all:
            return cmd_run_all(args.dir or catalog_dir(), _overrides(args.set or []), args.html_dir, args.via)
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
