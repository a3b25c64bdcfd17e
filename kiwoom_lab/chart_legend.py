"""The legend: one entry per style the chart drew with, each a small copy of its marks and its meaning.

Built from :class:`~kiwoom_lab.chart_style.StylesUsed`, so it is complete by construction:
a mark cannot be drawn in a colour the legend does not explain, and a colour the chart did
not use takes no room. Entries flow in rows across the page.
"""

from __future__ import annotations

from kiwoom_lab.chart_style import Style, StylesUsed
from kiwoom_lab.chart_svg import el, text, text_width

ROW = 17.0
SIZE = 10


def swatch(style: Style, x: float, y: float) -> str:
    """A small drawing of the style's marks, 12 px wide, sitting on the text baseline ``y``."""
    colour, middle = style.colour, y - 4
    if style.swatch == "tick":
        return el("rect", x=x + 4, y=y - 10, width=4, height=12, fill=colour)
    if style.swatch == "dot":
        return el("circle", cx=x + 6, cy=middle, r=4.5, fill=colour)
    if style.swatch == "ring":
        return el("circle", cx=x + 6, cy=middle, r=3.5, fill="none", stroke=colour, stroke_width=1.5)
    if style.swatch == "diamond":
        corners = ((x + 6, middle - 6), (x + 12, middle), (x + 6, middle + 6), (x, middle))
        path = "M" + " L".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners) + " Z"
        return el("path", d=path, fill=colour)
    if style.swatch == "line":
        return el("line", x1=x, x2=x + 12, y1=middle, y2=middle, stroke=colour, stroke_width=2)
    if style.swatch == "dash":
        return el("line", x1=x + 6, x2=x + 6, y1=y - 11, y2=y + 3, stroke=colour, stroke_dasharray="3,2")
    return el("rect", x=x, y=y - 9, width=12, height=10, rx=1 if style.swatch == "bar" else 0, fill=colour)


def draw_legend(used: StylesUsed, left: float, right: float, y: float) -> tuple[list[str], float]:
    """The legend from ``y`` (the first row's baseline) between ``left`` and ``right``; returns the y after it."""
    out = ['<g id="legend">', text(20, y, "Legend", size=SIZE, fill="#444", bold=True)]
    x = left
    for style in used.styles():
        width = 18 + text_width(style.meaning, SIZE) + 14
        if x > left and x + width > right:
            x, y = left, y + ROW
        entry = swatch(style, x, y) + text(x + 17, y, style.meaning, size=SIZE, fill="#444")
        out.append(f'<g data-style="{style.key}">{entry}</g>')
        x += width
    out.append("</g>")
    return out, y + ROW
