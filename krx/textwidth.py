"""Display width of text in a terminal, for tables that mix Korean and English.

A Korean syllable takes two terminal columns, so padding by ``len()`` (as ``f"{s:<16}"``
does) shifts every row holding Korean names against rows holding English ones. Both the
client's ``kiwoom-demo`` and the lab's timeline print such tables, and ``kiwoom`` may not
import the lab, so the one helper lives here, on the bottom floor beside the KRX listings
whose names cause the problem. It needs only the standard library: ``unicodedata``'s East
Asian Width (W and F are two columns) and zero for combining marks, which is what
terminals do for Hangul, CJK and the punctuation the project prints.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

ELLIPSIS = "…"


def char_width(ch: str) -> int:
    """Columns one character takes: 2 for wide (Hangul, CJK), 0 for combining marks, else 1."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal."""
    return sum(char_width(ch) for ch in text)


def pad(text: str, columns: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``columns`` display columns (``<`` left, ``>`` right); never cut."""
    fill = " " * max(0, columns - width(text))
    return fill + text if align == ">" else text + fill


def truncate(text: str, columns: int) -> str:
    """``text`` cut to at most ``columns`` display columns, ending in ``…`` when something was cut."""
    if width(text) <= columns:
        return text
    out, used = "", 0
    for ch in text:
        if used + char_width(ch) > columns - 1:
            break
        out += ch
        used += char_width(ch)
    return out + ELLIPSIS


def _split_word(word: str, columns: int) -> list[str]:
    """A word wider than a line, in pieces of at most ``columns`` display columns."""
    pieces, current = [], ""
    for ch in word:
        if current and width(current) + char_width(ch) > columns:
            pieces.append(current)
            current = ""
        current += ch
    return [*pieces, current] if current else pieces


def wrap(text: str, columns: int) -> list[str]:
    """``text`` broken at spaces into lines of at most ``columns`` display columns (long words split)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if width(candidate) <= columns:
            current = candidate
            continue
        if current:
            lines.append(current)
        pieces = _split_word(word, columns)
        lines.extend(pieces[:-1])
        current = pieces[-1]
    if current:
        lines.append(current)
    return lines


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, align: str, gap: int = 2) -> list[str]:
    """Lines of a fixed-column table, each column as wide as its widest cell in display columns.

    ``align`` has one ``<`` or ``>`` per column. Trailing spaces are dropped, so a
    left-aligned last column does not pad lines out.
    """
    all_rows = [list(header), *(list(row) for row in rows)]
    widths = [max(width(row[i]) for row in all_rows) for i in range(len(header))]
    return [(" " * gap).join(pad(cell, widths[i], align[i]) for i, cell in enumerate(row)).rstrip() for row in all_rows]


def pack(items: Sequence[str], columns: int, *, first: str = "", indent: str = "  ", sep: str = ", ") -> list[str]:
    """``items`` joined by ``sep`` after ``first``, wrapped between items (never inside one) at ``columns``.

    For lists such as ``날짜 종가`` pairs, where breaking at any space would split a date from its price.
    """
    lines: list[str] = []
    current, empty = first, True
    for item in items:
        candidate = current + item if empty else f"{current}{sep}{item}"
        if not empty and width(candidate) > columns:
            lines.append(current + sep.rstrip())
            current = indent + item
        else:
            current = candidate
        empty = False
    return [*lines, current]
