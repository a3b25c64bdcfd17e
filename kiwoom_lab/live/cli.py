"""``kiwoom-lab serve``: the options, and serving the live page until Ctrl-C.

    kiwoom-lab serve                              lessons: pick one, run it, watch it happen
    kiwoom-lab serve --port 8050 --fake http://127.0.0.1:8031
                                                  follow a running fake-kiwoom, switch its scenario

``kiwoom_lab.__main__`` adds the subcommand with :func:`add_arguments` and calls :func:`run`
with the parsed arguments, the global ``--lang`` among them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

from fake_kiwoom.__main__ import port_number
from fake_kiwoom.scenario_model import Lang
from kiwoom_lab.catalog import catalog_dir
from kiwoom_lab.loopback import port_is_free

DEFAULT_PORT = 8050
EXIT_OK, EXIT_INVALID = 0, 2


def fake_url(text: str) -> str:
    """An argparse type for ``--fake``: an http(s) URL of a running fake-kiwoom, without a trailing slash."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"invalid --fake {text!r}: expected a URL like http://127.0.0.1:8031")
    return text.rstrip("/")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``serve`` subcommand's options."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT, help="port to bind (default: %(default)s)")
    parser.add_argument(
        "--fake",
        type=fake_url,
        metavar="URL",
        help="follow this running fake-kiwoom (its request journal) instead of running lessons, "
        "and switch its scenario from the page",
    )
    parser.add_argument("--dir", type=Path, default=None, help="scenario directory instead of the installed catalog")


def run(args: argparse.Namespace) -> int:
    """Serve the page until interrupted; 2 when the port is taken or the catalog is missing."""
    import uvicorn

    from kiwoom_lab.live.app import create_live_app

    lang: Lang = "en" if getattr(args, "lang", "ko") == "en" else "ko"
    directory = args.dir or catalog_dir()
    if args.host in ("127.0.0.1", "localhost") and not port_is_free(args.port):
        print(f"kiwoom-lab serve: port {args.port} is in use; pick another with --port", file=sys.stderr)
        return EXIT_INVALID
    app = create_live_app(lang=lang, directory=directory, fake_url=args.fake)
    following = f", following the fake at {args.fake}" if args.fake else ""
    print(f"kiwoom-lab serve: open http://{args.host}:{args.port}/ in a browser{following}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=2)
    return EXIT_OK
