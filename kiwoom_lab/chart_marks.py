"""The marks of the timeline: one per event, in its lane, with a label where there is room.

The same drawing serves the main chart and the magnified insets
(:mod:`kiwoom_lab.chart_inset`): only the x of each mark differs. Events are first turned
into :class:`Item` s (an x span and a lane; a pile of identical events at one instant, such
as thirty cache misses of a burst, becomes one item counted ``×30``; calls never pile, each
call is its own mark). Each item is then painted (shapes, hover text, the room its mark
takes and the labels it would like), and labels are handed out by a
:class:`~kiwoom_lab.chart_labels.LabelPlacer` so none covers another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kiwoom_lab.chart_labels import LabelPlacer, Spot, Wish
from kiwoom_lab.chart_style import StylesUsed, envelope_code, is_token, style_of
from kiwoom_lab.chart_svg import Box, el, mark, text_width
from kiwoom_lab.timeline import Event

LANES = (
    "client calls",
    "upstream (fake)",
    "retry waits",
    "pacing (rate budget)",
    "cache",
    "fallback",
    "breaker",
    "stream (ws)",
    "workers & Redis",
)
#: The short lane names of an inset.
SHORT = ("calls", "upstream", "retry", "pacing", "cache", "fallback", "breaker", "stream", "fleet")
LANE_OF = {
    "call": 0,
    "request": 1,
    "response": 1,
    "retry": 2,
    "paced": 3,
    "cache": 4,
    "fallback": 5,
    "stream": 7,
    "fleet": 8,
}
CACHE_LANE, BREAKER_LANE, FLEET_LANE = 4, 6, 8
LANE_H = 36
#: Height of one row when spans of a lane overlap (a concurrent burst stacks its calls).
ROW_H = 6
#: Identical point events at one pixel are drawn as one mark counted ``×n`` from this many on.
PILE = 6
#: How close (px) identical events must be to pile up.
PILE_PX = 2.0
LABEL_SIZE = 9


def span_kind(event: Event) -> bool:
    """Whether the event is drawn as a bar over its duration (a call, a wait) rather than a point."""
    return event.kind in ("call", "retry") or (event.kind in ("paced", "stream") and event.duration_s > 0)


@dataclass(frozen=True, slots=True)
class Item:
    """One mark: the events it stands for (several when identical ones pile up), its lane and x span."""

    events: tuple[Event, ...]
    lane: int
    x0: float
    x1: float
    row: int = 0

    @property
    def first(self) -> Event:
        return self.events[0]


def build_items(events: Sequence[Event], xs: Callable[[Event], tuple[float, float]]) -> list[Item]:
    """The marks of ``events`` in causal order; a pile of identical point events is one item, where it began."""
    groups: list[list[int]] = []
    open_piles: dict[tuple[object, ...], int] = {}
    for index, event in enumerate(events):
        if event.kind not in LANE_OF or span_kind(event) or event.kind == "request":
            continue
        key = (event.kind, event.label, event.tone, event.api_id)
        at = open_piles.get(key)
        if at is not None and abs(xs(event)[0] - xs(events[groups[at][0]])[0]) <= PILE_PX:
            groups[at].append(index)
        else:
            open_piles[key] = len(groups)
            groups.append([index])
    pile_of = {group[0]: group for group in groups if len(group) >= PILE}
    piled = {index for group in pile_of.values() for index in group}
    items: list[Item] = []
    for index, event in enumerate(events):
        if event.kind not in LANE_OF or (index in piled and index not in pile_of):
            continue
        members = tuple(events[i] for i in pile_of.get(index, [index]))
        x0, x1 = xs(event)
        items.append(Item(members, LANE_OF[event.kind], x0, x1))
    return assign_rows(items)


def assign_rows(items: list[Item]) -> list[Item]:
    """Spans that overlap in time each take a row of their lane (the first free one)."""
    ends: dict[int, list[float]] = {}
    out = []
    for item in items:
        if not span_kind(item.first):
            out.append(item)
            continue
        lane_ends = ends.setdefault(item.lane, [])
        start = item.first.t
        row = next((i for i, end in enumerate(lane_ends) if end <= start), len(lane_ends))
        if row == len(lane_ends):
            lane_ends.append(0.0)
        lane_ends[row] = start + item.first.duration_s
        out.append(Item(item.events, item.lane, item.x0, item.x1, row))
    return out


@dataclass(slots=True)
class Lanes:
    """Where the lanes sit: ``shown`` lanes from ``top`` down; a lane of overlapping spans grows a row each."""

    top: float
    shown: tuple[int, ...]
    rows: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, items: Sequence[Item], top: float, shown: tuple[int, ...]) -> Lanes:
        rows: dict[int, int] = {}
        for item in items:
            rows[item.lane] = max(rows.get(item.lane, 1), item.row + 1)
        return cls(top, shown, rows)

    def height(self, lane: int) -> float:
        rows = self.rows.get(lane, 1)
        return max(LANE_H, 12.0 + rows * ROW_H) if rows > 1 else LANE_H

    def lane_top(self, lane: int) -> float:
        return self.top + sum(self.height(i) for i in self.shown[: self.shown.index(lane)])

    @property
    def bottom(self) -> float:
        return self.top + sum(self.height(i) for i in self.shown)

    def tiers(self, lane: int) -> tuple[float, float, float]:
        """The three label baselines of a lane: top, middle and bottom."""
        top, height = self.lane_top(lane), self.height(lane)
        return top + 11, top + height / 2 + 3.5, top + height - 3

    def row_middle(self, item: Item) -> float:
        """The vertical middle of a span's row (the lane's middle when it has one row)."""
        top = self.lane_top(item.lane)
        if self.rows.get(item.lane, 1) == 1:
            return top + self.height(item.lane) / 2
        return top + 6 + item.row * ROW_H + (ROW_H - 2) / 2


@dataclass(slots=True)
class Painted:
    """An item's shapes, its hover text, the room its mark takes and the labels it would like, best first."""

    shapes: str
    tip: str
    room: Box | None = None
    wishes: list[Wish] = field(default_factory=list)
    #: Placed before the others (a batch request is always named).
    first: bool = False


def _tip(item: Item) -> str:
    event = item.first
    if len(item.events) == 1:
        return f"t+{event.t:.3f}s  {event.detail}"
    return f"t+{event.t:.3f}s  {len(item.events)}× at once: {event.detail}"


def label_of(item: Item, *, compact: bool, name_trs: bool = False) -> str:
    """The text of an item's label: ``503``, ``token 200``, ``8005``, ``ka10095 ×29 codes``, ``miss ×30``.

    ``name_trs`` prefixes requests with their TR, for runs that ask more than one
    (a ka10095 batch answering where a ka10001 was expected).
    """
    event, count = item.first, len(item.events)
    body = event.label
    if event.kind == "request":
        code = envelope_code(event) or event.label
        if len(event.codes) > 1:
            body = f"{event.api_id} ×{len(event.codes)}" + ("" if compact else " codes")
        elif is_token(event):
            body = f"token {event.label}"
        else:
            body = f"{event.api_id} {code}" if name_trs and event.api_id else code
    elif event.kind == "paced":
        body = f"{event.api_id} {event.label if event.duration_s else 'budget spent'}"
    return f"{body} ×{count}" if count > 1 else body


def _beside(x: float, tiers: Sequence[float], reach: float = 4.0) -> list[Spot]:
    """Spots right of ``x`` on each tier, then left of it: a label stays next to its mark."""
    return [(x + reach, y, "start") for y in tiers] + [(x - reach, y, "end") for y in tiers]


class Painter:
    """Paints items into ``lanes``, noting each style it draws with in ``used``."""

    def __init__(self, lanes: Lanes, used: StylesUsed, *, compact: bool = False, name_trs: bool = False) -> None:
        self.lanes, self.used, self.compact, self.name_trs = lanes, used, compact, name_trs

    def label(self, item: Item) -> str:
        return label_of(item, compact=self.compact, name_trs=self.name_trs)

    def paint(self, item: Item) -> Painted:
        kind = item.first.kind
        if kind == "call":
            return self._call(item)
        if kind == "request":
            return self._request(item)
        if kind == "response":
            return self._answer(item)
        if span_kind(item.first):
            return self._wait(item)
        return self._point(item)

    def _wishes(self, item: Item, spots: list[Spot]) -> list[Wish]:
        style = self.used(style_of(item.first))
        body = self.label(item)
        return [Wish(body, spots, LABEL_SIZE, style.label_colour)]

    def _call(self, item: Item) -> Painted:
        style = self.used(style_of(item.first))
        top, height = self.lanes.lane_top(item.lane), self.lanes.height(item.lane)
        x0, x1 = item.x0, max(item.x1, item.x0 + 3)
        if self.lanes.rows.get(item.lane, 1) > 1:  # calls at once: a thin row each, the tooltip has the rest
            y = top + 6 + item.row * ROW_H
            return Painted(el("rect", x=x0, y=y, width=x1 - x0, height=ROW_H - 2, rx=1, fill=style.colour), _tip(item))
        shapes = el("rect", x=x0, y=top + 8, width=x1 - x0, height=height - 16, rx=3, fill=style.colour)
        t1, t2, t3 = self.lanes.tiers(item.lane)
        body = self.label(item)
        wishes = []
        if x1 - x0 >= text_width(body, LABEL_SIZE + 1) + 8:
            wishes.append(Wish(body, [(x0 + 4, t2, "start")], LABEL_SIZE + 1, style.on))
        beside = [(x1 + 3, y, "start") for y in (t2, t1, t3)] + [(x0 - 3, y, "end") for y in (t2, t1, t3)]
        wishes += self._wishes(item, beside)
        room = Box(x0 - 0.5, top + 8, x1 + 0.5, top + height - 8)  # no other label is written over a bar
        return Painted(shapes, _tip(item), room, wishes)

    def _request(self, item: Item) -> Painted:
        event = item.first
        style = self.used(style_of(event))
        top, height = self.lanes.lane_top(item.lane), self.lanes.height(item.lane)
        x, mid = item.x0, top + height / 2
        shapes = ""
        if event.duration_s:  # the injected delay: how long the fake held the request
            width = max(item.x1 - x, 1.0)
            shapes += el("rect", x=x, y=mid - 2, width=width, height=4, fill=style.colour, opacity=0.45)
        shapes += el("rect", x=x - 2, y=top + 5, width=4, height=height - 10, fill=style.colour)
        t1, t2, t3 = self.lanes.tiers(item.lane)
        tiers = (t3, t1, t2) if is_token(event) else (t1, t2, t3)
        wishes = self._wishes(item, _beside(x, tiers))
        if len(event.codes) > 1:
            wishes = [Wish(w.body, w.spots, w.size, w.fill, bold=True) for w in wishes]
        room = Box(x - 2.5, top + 5, x + 2.5, top + height - 5)
        return Painted(shapes, _tip(item), room, wishes, first=len(event.codes) > 1)

    def _answer(self, item: Item) -> Painted:
        style = self.used(style_of(item.first))
        y = self.lanes.lane_top(item.lane) + self.lanes.height(item.lane) - 7
        ring = el("circle", cx=item.x0, cy=y, r=3, fill="none", stroke=style.colour, stroke_width=1.5)
        return Painted(ring, _tip(item), Box(item.x0 - 4, y - 4, item.x0 + 4, y + 4))

    def _wait(self, item: Item) -> Painted:
        style = self.used(style_of(item.first))
        top, height = self.lanes.lane_top(item.lane), self.lanes.height(item.lane)
        x0, x1 = item.x0, max(item.x1, item.x0 + 2)
        if self.lanes.rows.get(item.lane, 1) > 1:
            y = top + 6 + item.row * ROW_H
            bar = el("rect", x=x0, y=y, width=x1 - x0, height=ROW_H - 2, fill=style.colour)
            return Painted(bar, _tip(item))
        bar = el("rect", x=x0, y=top + 14, width=x1 - x0, height=height - 26, fill=style.colour, opacity=0.9)
        t1, _, t3 = self.lanes.tiers(item.lane)
        room = Box(x0 - 0.5, top + 14, x1 + 0.5, top + height - 12)
        spots: list[Spot] = [(x0 + 2, t1, "start"), (x0 + 2, t3, "start"), (x0 - 3, t1, "end"), (x0 - 3, t3, "end")]
        return Painted(bar, _tip(item), room, self._wishes(item, spots))

    def _point(self, item: Item) -> Painted:
        event = item.first
        style = self.used(style_of(event))
        x, mid = item.x0, self.lanes.lane_top(item.lane) + self.lanes.height(item.lane) / 2
        if event.kind == "fallback":
            path = f"M{x:.1f},{mid - 6:.1f} L{x + 6:.1f},{mid:.1f} L{x:.1f},{mid + 6:.1f} L{x - 6:.1f},{mid:.1f} Z"
            shape, reach = el("path", d=path, fill=style.colour), 6.5
        else:
            shape, reach = el("circle", cx=x, cy=mid, r=4.5, fill=style.colour), 5.0
        t1, t2, t3 = self.lanes.tiers(item.lane)
        room = Box(x - reach, mid - reach, x + reach, mid + reach)
        spots = [(x + reach + 2, y, "start") for y in (t2, t1, t3)] + _beside(x, (t1, t3), 1.0)
        return Painted(shape, _tip(item), room, self._wishes(item, spots))


def draw_items(
    items: Sequence[Item], painter: Painter, placer: LabelPlacer, *, within: Box | None = None
) -> tuple[list[str], list[str]]:
    """Every item as a ``<g>`` of its shapes and hover text, and the labels that found room.

    The labels are a layer of their own, drawn over every mark, so that no later mark (a
    band, a delay bar) paints over a label placed earlier; each keeps its mark's hover text.
    """
    painted = [painter.paint(item) for item in items]
    owners = [id(p) for p in painted]
    for p, owner in zip(painted, owners, strict=True):
        if p.room is not None:
            placer.block(p.room, owner)
    labels: list[str] = []
    for i in sorted(range(len(items)), key=lambda i: (not painted[i].first, items[i].x0, items[i].lane)):
        for wish in painted[i].wishes:
            placed = placer.place(wish, owners[i], within)
            if placed is not None:
                labels.append(mark(placed.svg(), painted[i].tip))
                break
    return [mark(p.shapes, p.tip) for p in painted], labels
