"""Label placement for the timeline: no label may cover another, or cover another mark.

Events a few milliseconds apart land on the same pixels, and their labels used to be
written over each other ("tokeken2000"). Here each label offers spots in order of
preference (beside its mark, on one of the lane's tiers); the first spot that touches no
label placed so far, no other mark's room and stays inside the allowed area wins. A
label with no free spot is dropped: its mark keeps the detail as a tooltip, and a dense
cluster of marks gets a magnified inset (:mod:`kiwoom_lab.chart_inset`) where there is room.

Placement is greedy in the order labels are offered (left to right), which keeps the
result stable and explainable: an earlier event keeps its label, a later one moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kiwoom_lab.chart_svg import Box, Text

#: (x, y, text-anchor) of one place a label may go.
Spot = tuple[float, float, str]


@dataclass(frozen=True, slots=True)
class Wish:
    """A label a mark would like, and the spots it may take, best first."""

    body: str
    spots: Sequence[Spot]
    size: int = 9
    fill: str = "#333"
    bold: bool = False

    def at(self, spot: Spot) -> Text:
        x, y, anchor = spot
        return Text(x, y, self.body, self.size, self.fill, anchor, self.bold)


@dataclass(slots=True)
class LabelPlacer:
    """Hands out room for labels on one picture; remembers every label and mark it has seen."""

    #: Where labels may go at all (the picture's width, so no text runs off it).
    bounds: Box
    _taken: list[Box] = field(default_factory=list)
    _obstacles: list[tuple[Box, int]] = field(default_factory=list)

    def block(self, box: Box, owner: int = -1) -> None:
        """A mark's room: no label but its own (``owner``) may cover it."""
        self._obstacles.append((box, owner))

    def free(self, box: Box, owner: int = -1, within: Box | None = None) -> bool:
        """Whether a label of ``owner`` could take ``box``."""
        if not box.inside(within or self.bounds):
            return False
        if any(box.overlaps(taken) for taken in self._taken):
            return False
        return not any(o != owner and box.overlaps(room) for room, o in self._obstacles)

    def place(self, wish: Wish, owner: int = -1, within: Box | None = None) -> Text | None:
        """The label at its first free spot, now taken; None when every spot is taken."""
        for spot in wish.spots:
            label = wish.at(spot)
            if self.free(label.box, owner, within):
                self._taken.append(label.box)
                return label
        return None

    def fixed(self, label: Text) -> str:
        """Text that has exactly one place (a lane name, a tick): drawn if free, else left out."""
        if any(label.box.overlaps(taken) for taken in self._taken):
            return ""
        self._taken.append(label.box)
        return label.svg()
