"""Which pairs are wanted, which group each item lives in, and the REG/REMOVE frames that follow.

Pure bookkeeping, no I/O, so the batching rules are tested on their own: a ``want`` adds
pairs, the registrar asks :meth:`Registry.changes` what to send and gets at most one frame
per group and verb, however many calls asked in between. Items are packed into ``grp_no``
groups of ``group_size`` (Kiwoom's fake allows 100 per group, as OpenAPI+ allowed 100 codes
per screen), first fit, and keep their group for the life of the stream.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from kiwoom.realtime.feed import Pair
from kiwoom.realtime.ticks import RealType

Verb = Literal["REG", "REMOVE"]
Frame = dict[str, object]


@dataclass(frozen=True, slots=True)
class Request:
    """One REG or REMOVE frame and the pairs it carries (to undo them if refused)."""

    verb: Verb
    grp_no: str
    pairs: tuple[Pair, ...]

    def frame(self) -> Frame:
        by_kind: dict[RealType, list[str]] = {}
        for kind, item in self.pairs:
            by_kind.setdefault(kind, []).append(item)
        data = [{"item": items, "type": [kind]} for kind, items in by_kind.items()]
        return {"trnm": self.verb, "grp_no": self.grp_no, "refresh": "1", "data": data}


@dataclass
class Registry:
    group_size: int = 100
    wanted: dict[Pair, None] = field(default_factory=dict)
    registered: set[Pair] = field(default_factory=set)
    _group_of: dict[str, str] = field(default_factory=dict)
    _members: dict[str, set[str]] = field(default_factory=dict)

    def want(self, pairs: Iterable[Pair]) -> bool:
        """Add pairs; True when something new is wanted."""
        added = False
        for pair in pairs:
            if pair not in self.wanted:
                self.wanted[pair] = None
                self._place(pair[1])
                added = True
        return added

    def drop(self, pairs: Iterable[Pair]) -> list[Pair]:
        """Forget pairs; returns those that were wanted."""
        dropped = [pair for pair in pairs if self.wanted.pop(pair, 0) is None]
        still = {item for _, item in self.wanted}
        for _, item in dropped:
            if item not in still and item in self._group_of and not self._registered_item(item):
                self._unplace(item)
        return dropped

    def group_of(self, item: str) -> str:
        return self._group_of[item]

    def changes(self) -> list[Request]:
        """The frames that bring the connection in line with ``wanted``: REMOVEs first, then REGs.

        Sending them marks the pairs registered (or not) at once; a refused REG is handed
        back with :meth:`refused`, so it is asked again by the next call.
        """
        remove = [pair for pair in self.registered if pair not in self.wanted]
        add = [pair for pair in self.wanted if pair not in self.registered]
        requests = self._by_group("REMOVE", remove) + self._by_group("REG", add)
        self.registered.difference_update(remove)
        self.registered.update(add)
        for _, item in remove:
            if item not in {i for _, i in self.wanted} and not self._registered_item(item):
                self._unplace(item)
        return requests

    def refused(self, request: Request) -> None:
        """The server refused ``request``: its pairs are back to what they were."""
        if request.verb == "REG":
            self.registered.difference_update(request.pairs)
        else:
            self.registered.update(request.pairs)

    def disconnected(self) -> None:
        """A new connection has nothing registered."""
        self.registered.clear()

    def items(self, kind: RealType) -> list[str]:
        return [item for k, item in self.wanted if k == kind]

    def _by_group(self, verb: Verb, pairs: list[Pair]) -> list[Request]:
        groups: dict[str, list[Pair]] = {}
        for pair in pairs:
            if pair[1] not in self._group_of:
                self._place(pair[1])
            groups.setdefault(self._group_of[pair[1]], []).append(pair)
        return [Request(verb, grp, tuple(members)) for grp, members in sorted(groups.items(), key=_group_order)]

    def _registered_item(self, item: str) -> bool:
        return any(i == item for _, i in self.registered)

    def _place(self, item: str) -> None:
        if item in self._group_of:
            return
        number = 1
        while len(self._members.get(str(number), ())) >= self.group_size:
            number += 1
        grp = str(number)
        self._members.setdefault(grp, set()).add(item)
        self._group_of[item] = grp

    def _unplace(self, item: str) -> None:
        grp = self._group_of.pop(item)
        members = self._members[grp]
        members.discard(item)
        if not members:
            del self._members[grp]


def _group_order(entry: tuple[str, list[Pair]]) -> int:
    return int(entry[0])
