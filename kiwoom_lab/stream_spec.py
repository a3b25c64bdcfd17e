"""``expect.stream``: what a stream lesson runs (codes, how long, how fast it reads) and checks.

A stream lesson makes no tool call: it opens the client's real-time stream against the
fake on a loopback socket, lets the scenario's ``stream:`` faults happen, and checks how
the stream recovered. Strict like the rest of ``expect``: ``expect.stream.reconect_within_s``
is an error naming its path, never a silently unchecked lesson.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, model_validator

Kind = Literal["0B", "0D"]


def _quotes() -> list[Kind]:
    return ["0B"]


#: Longest run a lesson may ask for: lessons run on the real clock and must stay short.
MAX_RUN_S = 30.0


class Bound(BaseModel):
    """``{min: n}``, ``{max: n}`` or both: a count that may vary a little from run to run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: NonNegativeInt | None = None
    max: NonNegativeInt | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Bound:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self

    def holds(self, value: int) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"{self.min}" if self.min == self.max else f"{self.min}–{self.max}"
        return f"at least {self.min}" if self.min is not None else f"at most {self.max}"


class StreamExpect(BaseModel):
    """The stream part of a lesson: ``codes`` … ``consume_every_s`` drive the run, the rest are checks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    codes: list[str] = Field(default_factory=lambda: ["005930", "000660"], min_length=1)
    kinds: list[Kind] = Field(default_factory=_quotes, min_length=1)
    #: Seconds the stream runs (real clock) before the runner stops it and checks.
    run_s: PositiveFloat = Field(3.0, le=MAX_RUN_S)
    #: The fake's push pace (``WsSettings.push_interval_s``): every registered pair once per interval.
    push_interval_s: PositiveFloat = 0.2
    #: Read the stream's iterator, waiting this long after each tick (0: as fast as ticks come);
    #: absent: nobody iterates, ticks only update ``latest`` (no buffer at all).
    consume_every_s: NonNegativeFloat | None = None

    #: Each disconnect is followed, within this many seconds, by the codes registered again.
    reconnect_within_s: PositiveFloat | None = None
    #: Connections after the first.
    reconnects: Bound | None = None
    #: Successful LOGINs (one per connection that logged in).
    logins: Bound | None = None
    #: After the (first) disconnect, every code was registered again.
    resubscribed: bool | None = None
    #: After a gap, every quote code (0B) was backfilled over REST.
    backfilled: bool | None = None
    #: The most unread ticks the stream held at any sample (every 50 ms).
    max_buffered: NonNegativeInt | None = None
    #: Ticks replaced unread by a newer one of the same pair (latest wins).
    conflated: Bound | None = None
    #: Ticks the consumer read from the iterator.
    consumed: Bound | None = None
    #: Whether the watchdog closed a silent socket.
    watchdog: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> StreamExpect:
        if (self.max_buffered is not None or self.consumed is not None) and self.consume_every_s is None:
            raise ValueError("max_buffered and consumed need consume_every_s (a consumer reading the stream)")
        return self

    def pairs(self) -> list[tuple[Kind, str]]:
        return [(kind, code) for kind in self.kinds for code in self.codes]
