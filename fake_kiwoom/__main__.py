"""``fake-kiwoom``: run the fake Kiwoom REST server with uvicorn."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .app import create_app
from .config import FakeKiwoomConfig
from .scenario_model import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    from starlette.applications import Starlette

DEFAULT_PORT = 8040


def port_number(text: str) -> int:
    """An argparse type for ``--port``: out of range is a one-line usage error, not a bind traceback."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: expected an integer 0-65535") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {value}: expected 0-65535")
    return value


def build_parser() -> argparse.ArgumentParser:
    defaults = FakeKiwoomConfig()
    parser = argparse.ArgumentParser(prog="fake-kiwoom", description="Fake Kiwoom Securities REST API server.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT, help="port to bind (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="synthetic market seed")
    parser.add_argument(
        "--token-lifetime", type=float, default=defaults.token_lifetime_s, help="token lifetime in seconds"
    )
    parser.add_argument(
        "--rate-limit", type=float, default=defaults.rate_limit_per_s, help="requests/s per TR; <= 0 disables"
    )
    parser.add_argument("--rate-burst", type=int, default=defaults.rate_limit_burst, help="burst per TR")
    parser.add_argument(
        "--journal-limit",
        type=int,
        default=defaults.journal_limit,
        help="requests kept in the journal (GET /__admin/requests); 0 switches it off for long load runs",
    )
    parser.add_argument(
        "--scenario", metavar="FILE", help="scenario file (YAML or JSON) to load at start; see scenarios/"
    )
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug", "trace"]
    )
    return parser


def config_from_args(args: argparse.Namespace) -> FakeKiwoomConfig:
    return FakeKiwoomConfig(
        seed=args.seed,
        token_lifetime_s=args.token_lifetime,
        rate_limit_per_s=args.rate_limit,
        rate_limit_burst=args.rate_burst,
        journal_limit=max(args.journal_limit, 0),
    )


def scenario_from_args(args: argparse.Namespace) -> Scenario | None:
    """The ``--scenario`` file, validated; an invalid file exits with status 2 before the server starts."""
    if not args.scenario:
        return None
    try:
        return load_scenario(args.scenario)
    except ScenarioError as exc:
        print(f"fake-kiwoom: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def build_app(args: argparse.Namespace) -> Starlette:
    return create_app(config_from_args(args), scenario=scenario_from_args(args))


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    args = build_parser().parse_args(argv)
    app = build_app(args)
    scenario = f", scenario {app.state.engine.scenario.name}" if app.state.engine.scenario else ""
    print(f"fake-kiwoom listening on http://{args.host}:{args.port} (seed {args.seed}{scenario})", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
