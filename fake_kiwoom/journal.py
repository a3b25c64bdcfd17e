"""A bounded log of the requests the fake answered.

Tests and scenario checks read it (``GET /__admin/requests``) to assert what a client did:
how many pages it fetched, whether it backed off after a 1700, when it re-issued a token.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class JournalEntry:
    ts: float
    api_id: str | None
    path: str
    stock_code: str | None
    status: int
    return_code: int | None
    detail_code: int | None
    cont_yn: str | None


class Journal:
    """Keeps the newest ``limit`` entries; ``limit == 0`` records nothing."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: deque[JournalEntry] = deque(maxlen=max(limit, 1))

    def append(self, entry: JournalEntry) -> None:
        if self.limit > 0:
            self._entries.append(entry)

    def entries(self) -> list[JournalEntry]:
        return list(self._entries)

    def as_dicts(self) -> list[dict[str, object]]:
        return [asdict(e) for e in self._entries]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
