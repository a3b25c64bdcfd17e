"""Reading a fixed-column terminal table back: where each cell starts and ends, in display columns."""

from __future__ import annotations

import re

from krx.textwidth import width

#: Columns are separated by at least two spaces; a cell holds at most single spaces ("KODEX 200").
GAP = re.compile(r" {2,}")


def cells(line: str) -> list[tuple[int, int, str]]:
    """``(first column, column after the end, text)`` of each cell of ``line``."""
    out: list[tuple[int, int, str]] = []
    position = 0
    for part in GAP.split(line):
        if part:
            start = line.index(part, position)
            out.append((width(line[:start]), width(line[:start]) + width(part), part))
            position = start + len(part)
    return out
