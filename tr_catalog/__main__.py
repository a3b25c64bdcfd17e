"""``python -m tr_catalog``: print the catalog's reference table (``--block`` with the README markers)."""

from __future__ import annotations

import sys

from tr_catalog.reference import block, table


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(block() if "--block" in args else table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
