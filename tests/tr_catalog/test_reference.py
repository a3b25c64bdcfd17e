"""The README's TR table is the catalog's, regenerated: ``python -m tr_catalog --block``."""

from __future__ import annotations

from pathlib import Path

from tr_catalog.reference import BEGIN, END, block

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_carries_the_generated_tr_table() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    assert text[start:end] == block(), "README's TR table is stale: paste `python -m tr_catalog --block` over it"
