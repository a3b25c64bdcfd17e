"""A bounded log of the requests the fake answered.

Tests and scenario checks read it (``GET /__admin/requests``, ``POST /__admin/requests/count``)
to assert what a client did: how many pages it fetched, whether it backed off after a
1700, when it re-issued a token, how long it waited between retries.

An entry is appended when the request *arrives* and completed when it is answered, so
``ts`` (epoch seconds on the fake's clock) is the arrival time, before any injected
latency: gaps between a client's requests are measurable. A request still hanging shows
``status: null`` and is already counted, so a test can assert on it the moment the client
gives up. ``status`` stays ``null`` for a dropped connection (no HTTP response at all).
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass

from pydantic import BaseModel, ConfigDict


@dataclass(slots=True)
class JournalEntry:
    ts: float
    api_id: str | None
    path: str
    stock_code: str | None
    status: int | None = None
    return_code: int | None = None
    detail_code: int | None = None
    cont_yn: str | None = None
    #: The injected fault's type, ``None`` when the request passed untouched.
    fault: str | None = None
    #: Injected delay before the answer (latency, a fault's latency, a hang), in milliseconds.
    latency_ms: float = 0.0
    session: str = "default"


class Criteria(BaseModel):
    """Match criteria for counting; every given field must equal the entry's (``since_ts``: ``ts >=``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_id: str | None = None
    path: str | None = None
    stock_code: str | None = None
    status: int | None = None
    fault: str | None = None
    session: str | None = None
    since_ts: float | None = None

    def matches(self, entry: JournalEntry) -> bool:
        given = self.model_dump(exclude_unset=True)
        since = given.pop("since_ts", None)
        if since is not None and entry.ts < since:
            return False
        return all(getattr(entry, key) == value for key, value in given.items())


class Journal:
    """Keeps the newest ``limit`` entries; ``limit == 0`` records nothing (long load runs)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._entries: deque[JournalEntry] = deque(maxlen=max(limit, 1))

    def append(self, entry: JournalEntry) -> JournalEntry:
        """Record ``entry`` (if the journal is on) and return it for completion by the caller."""
        if self.limit > 0:
            self._entries.append(entry)
        return entry

    def entries(self) -> list[JournalEntry]:
        return list(self._entries)

    def select(
        self, *, limit: int | None = None, session: str | None = None, api_id: str | None = None
    ) -> list[JournalEntry]:
        """Entries in arrival order, filtered; ``limit`` keeps the newest ones."""
        found = [
            e
            for e in self._entries
            if (session is None or e.session == session) and (api_id is None or e.api_id == api_id)
        ]
        if limit is None:
            return found
        return found[len(found) - limit :] if limit < len(found) else found

    def count(self, criteria: Criteria) -> int:
        return sum(1 for e in self._entries if criteria.matches(e))

    def as_dicts(self, entries: list[JournalEntry] | None = None) -> list[dict[str, object]]:
        return [asdict(e) for e in (self._entries if entries is None else entries)]

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
