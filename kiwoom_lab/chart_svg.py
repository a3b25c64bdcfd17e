"""SVG primitives of the timeline chart, and how much room a piece of text takes.

The chart is written as plain strings (no SVG library), so the size of a label has to be
estimated rather than measured. The estimate errs wide: a Hangul or CJK character (or any
character outside ASCII) counts a full em, an ASCII one 0.62 em, bold a little more, and a
line reaches 0.85 em above its baseline and 0.25 em below. Labels placed apart by this
estimate stay apart in any of the fonts the chart names.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

#: Width of an ASCII character in em, on the generous side of Helvetica and Arial.
NARROW_EM = 0.62
#: Width of any other character (Hangul, CJK, arrows, ×): a full em.
WIDE_EM = 1.0
BOLD_FACTOR = 1.08
ASCENT_EM = 0.85
DESCENT_EM = 0.25


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def el(tag: str, **attrs: object) -> str:
    """One empty SVG element; ``stroke_width`` is written ``stroke-width``, floats to 0.1 px."""
    parts = [f'{k.replace("_", "-")}="{f"{v:.1f}" if isinstance(v, float) else esc(v)}"' for k, v in attrs.items()]
    return f"<{tag} {' '.join(parts)}/>"


def mark(shapes: str, tip: str) -> str:
    """A mark with its hover text (``<title>``): the detail is always there, drawn label or not."""
    return f"<g>{shapes}<title>{esc(tip)}</title></g>"


def text_width(body: str, size: float, *, bold: bool = False) -> float:
    """The estimated width of ``body`` at font size ``size`` (see the module docstring)."""
    em = sum(NARROW_EM if ch.isascii() else WIDE_EM for ch in body)
    return em * size * (BOLD_FACTOR if bold else 1.0)


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned rectangle on the chart, for telling whether two things would touch."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box) -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def inside(self, other: Box) -> bool:
        return self.x0 >= other.x0 and self.x1 <= other.x1 and self.y0 >= other.y0 and self.y1 <= other.y1


@dataclass(frozen=True, slots=True)
class Text:
    """One line of text on the chart: where it sits, and how it is written."""

    x: float
    y: float
    body: str
    size: int = 11
    fill: str = "#222"
    anchor: str = "start"
    bold: bool = False

    @property
    def box(self) -> Box:
        """The room the text takes, padded by a pixel on each side."""
        width = text_width(self.body, self.size, bold=self.bold)
        x0 = {"start": self.x, "middle": self.x - width / 2, "end": self.x - width}[self.anchor]
        return Box(x0 - 1, self.y - ASCENT_EM * self.size, x0 + width + 1, self.y + DESCENT_EM * self.size)

    def svg(self) -> str:
        weight = ' font-weight="bold"' if self.bold else ""
        where = f'x="{self.x:.1f}" y="{self.y:.1f}" font-size="{self.size}" fill="{self.fill}"'
        return f'<text {where} text-anchor="{self.anchor}"{weight}>{esc(self.body)}</text>'


def text(
    x: float, y: float, body: str, *, size: int = 11, fill: str = "#222", anchor: str = "start", bold: bool = False
) -> str:
    """A text element where nothing else can collide with it (headings, the expectation lines)."""
    return Text(x, y, body, size, fill, anchor, bold).svg()
