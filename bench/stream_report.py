"""What every streaming measurement prints: a JSON summary and a short table, from the same figures."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from typing import Any


def percentiles(values: Sequence[float], points: Sequence[float] = (50, 95, 99)) -> dict[str, float | None]:
    """Nearest-rank percentiles (``p50``...) and the max of ``values``, in the values' unit; None when empty."""
    ordered = sorted(values)
    out: dict[str, float | None] = {}
    for point in points:
        rank = max(1, math.ceil(point / 100 * len(ordered)))
        out[f"p{point:g}"] = ordered[rank - 1] if ordered else None
    out["max"] = ordered[-1] if ordered else None
    return out


def ms(seconds: Mapping[str, float | None]) -> dict[str, float | None]:
    """The same quantiles in milliseconds, rounded to 0.1 ms."""
    return {key: None if value is None else round(value * 1000, 1) for key, value in seconds.items()}


def machine() -> dict[str, Any]:
    """Where the figures were taken (CPU count and load matter on a shared 2-core box)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "loadavg_1m_at_end": round(load[0], 2) if load else None,
    }


def emit(summary: Mapping[str, Any], rows: Sequence[Sequence[object]], header: Sequence[str]) -> None:
    """Print ``summary`` as JSON, then ``rows`` as a Markdown table (what bench/README.md shows)."""
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join("-" if cell is None else str(cell) for cell in row) + " |")
