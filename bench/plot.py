"""Plot the load runs: p50/p95/p99 per scenario beside the two floors, from ``summary.json``.

``python -m bench.plot bench/results/summary.json bench/latency.svg``

Latencies span four orders of magnitude (a floor answers in milliseconds, a cold cache
behind Kiwoom's one-request-a-second pacing in seconds), so the axis is logarithmic.
SVG by default (text, diffable, renders on GitHub); any extension matplotlib knows works.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

QUANTILES = (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99"))
COLOURS = ("#4c72b0", "#dd8452", "#c44e52")


def load_runs(summary_path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(label, run) in the summary's order, floors first, skipping runs without latencies."""
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    runs = [(label, run) for label, run in summary["runs"].items() if run.get("p50_ms") is not None]
    return sorted(runs, key=lambda item: item[1]["target"] == "ours")


def plot(summary_path: Path, out_path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = load_runs(summary_path)
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    width = 0.27
    fig, ax = plt.subplots(figsize=(max(8.0, 0.9 * len(runs) + 2), 4.8))
    for offset, ((key, name), colour) in enumerate(zip(QUANTILES, COLOURS, strict=True)):
        xs = [i + (offset - 1) * width for i in range(len(runs))]
        ys = [max(float(run[key]), 0.5) for _, run in runs]  # a 0 ms bucket cannot sit on a log axis
        ax.bar(xs, ys, width, label=name, color=colour)
    ax.set_yscale("log")
    ax.set_ylabel("latency per tool call, ms (log)")
    ax.set_xticks(range(len(runs)))
    ax.set_xticklabels([label for label, _ in runs], rotation=35, ha="right", fontsize=8)
    for tick, (_, run) in zip(ax.get_xticklabels(), runs, strict=True):
        if run["target"] != "ours":
            tick.set_fontstyle("italic")
    ax.set_title(
        f"kiwoom-mcp under load: {summary['users']} users, {summary['duration_s']} s per run "
        f"({summary['machine']['cpus']} CPUs); floors in italics",
        fontsize=10,
    )
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_path, metadata={"Date": None} if out_path.suffix == ".svg" else None)
    plt.close(fig)
    return out_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.plot", description=__doc__.split("\n\n")[0])
    parser.add_argument("summary", type=Path, nargs="?", default=Path("bench/results/summary.json"))
    parser.add_argument("out", type=Path, nargs="?", default=Path("bench/results/latency.svg"))
    args = parser.parse_args(argv)
    print(plot(args.summary, args.out))


if __name__ == "__main__":
    main()
