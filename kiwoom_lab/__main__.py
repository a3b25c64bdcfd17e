"""``kiwoom-lab``: run a scenario against the fake and the real client, and show what happened.

    kiwoom-lab list                                   the catalog, one line each
    kiwoom-lab run scenarios/5xx_burst.yaml           timeline table and PASS/FAIL per expectation
    kiwoom-lab run scenarios/hang.yaml --html hang.html --svg hang.svg --json hang.json
    kiwoom-lab run scenarios/5xx_burst.yaml --set KIWOOM_RETRY_DELAY=0.2   experiment
    kiwoom-lab run --all                              every file in scenarios/, a summary table

Exit codes: 0 every expectation met, 1 some failed, 2 an invalid scenario file or option.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from fake_kiwoom.scenario_model import ScenarioError, load_scenario
from kiwoom_lab.chart import render_html, render_svg
from kiwoom_lab.render_text import checks_block, render, summary_table
from kiwoom_lab.runner import RunReport, run_file
from kiwoom_lab.spec import build_settings, parse_expect

EXIT_PASS, EXIT_FAIL, EXIT_INVALID = 0, 1, 2


def default_dir() -> Path:
    """``./scenarios`` when run from a checkout, else the catalog next to the installed package."""
    here = Path("scenarios")
    return here if here.is_dir() else Path(__file__).resolve().parents[1] / "scenarios"


def catalog_lines(directory: Path) -> dict[str, str]:
    """The one-line summaries of ``scenarios/README.md``'s catalog table, by file name."""
    readme = directory / "README.md"
    if not readme.is_file():
        return {}
    found = re.findall(r"^\|\s*`([^`]+\.yaml)`\s*\|\s*(.+?)\s*\|\s*$", readme.read_text(encoding="utf-8"), re.M)
    return dict(found)


def _first_sentence(text: str, limit: int = 100) -> str:
    sentence = " ".join(text.split()).split(". ")[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def cmd_list(directory: Path) -> int:
    lines = catalog_lines(directory)
    files = sorted(directory.glob("*.yaml"))
    if not files:
        print(f"no scenario files in {directory}", file=sys.stderr)
        return EXIT_INVALID
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
        summary = lines.get(path.name) or _first_sentence(scenario.description)
        clock = "  [virtual clock]" if expect.clock == "virtual" else ""
        print(f"{scenario.name:<{width}}  {summary}{clock}")
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
    except (ValueError, ValidationError) as exc:
        raise ScenarioError(f"--set: {exc}") from None
    return out


def _write(path: str | None, text: str, what: str) -> None:
    if path:
        Path(path).write_text(text, encoding="utf-8")
        print(f"{what} written to {path}")


def cmd_run(args: argparse.Namespace) -> int:
    overrides = _overrides(args.set or [])
    report = run_file(Path(args.file), overrides=overrides, via=args.via)
    print(render(report))
    _write(args.html, render_html(report), "HTML timeline")
    _write(args.svg, render_svg(report), "SVG timeline")
    _write(args.json, json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str), "JSON report")
    return EXIT_PASS if report.passed else EXIT_FAIL


def cmd_run_all(directory: Path, overrides: dict[str, str], out_dir: str | None, via: str = "client") -> int:
    files = sorted(directory.glob("*.yaml"))
    if not files:
        print(f"no scenario files in {directory}", file=sys.stderr)
        return EXIT_INVALID
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


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="kiwoom-lab",
        description="Replay failure scenarios against the fake Kiwoom server and the real client.",
    )
    top.add_argument("--logs", action="store_true", help="also print the client's log lines (재시도 ...)")
    sub = top.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="the scenario catalog, one line each")
    listing.add_argument("--dir", type=Path, default=None, help="scenario directory (default: scenarios/)")
    run = sub.add_parser("run", help="run one scenario file, or --all")
    run.add_argument("file", nargs="?", help="a scenario file, e.g. scenarios/5xx_burst.yaml")
    run.add_argument("--all", action="store_true", help="run every *.yaml in --dir and print a summary")
    run.add_argument("--dir", type=Path, default=None, help="scenario directory for --all (default: scenarios/)")
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
    directory = args.dir or default_dir()
    try:
        if args.command == "list":
            return cmd_list(directory)
        if args.all == bool(args.file):
            print("kiwoom-lab run: give one scenario file or --all", file=sys.stderr)
            return EXIT_INVALID
        if args.all:
            return cmd_run_all(directory, _overrides(args.set or []), args.html_dir, args.via)
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
