"""The scenario's ``stream:`` block: faults of the real-time WebSocket, one lesson each.

REST faults are decided per request (``rules``); a socket fails differently: it drops, goes
quiet while staying open, stops sending PINGs, refuses a REG, loses its token mid-stream,
repeats or reorders ticks, or floods a consumer. Those are properties of a *connection*
over time, so they live in their own block, read by ``fake_kiwoom.ws_faults`` when a
connection logs in. Every time is seconds on the fake's clock since that LOGIN.

Like the rest of the schema every model forbids unknown keys, so ``stream.dorp_after_s``
is an error naming its path, never a silently healthy socket.

Kept out of ``scenario_model`` so each module stays small; it imports nothing from it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    model_validator,
)

#: Close codes a drop may use. 1006 is "abnormal closure": no close frame at all (the TCP
#: connection is reset where the server can reach it; in process the close carries 1006).
DropCode = Literal[1006, 1011, 1001, 1000]
#: Error codes a refused REG may carry (input error, rate limit, server error).
RefuseCode = Literal[1517, 1700, 1999]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RefuseReg(_Strict):
    """Answer the session's first ``times`` REG frames with an error envelope (``null``: every REG)."""

    code: RefuseCode = 1517
    times: PositiveInt | None = 1


class Burst(_Strict):
    """``factor`` times the usual pushes per interval, from ``after_s`` for ``for_s`` (``null``: for good)."""

    factor: int = Field(ge=2, le=1000)
    after_s: NonNegativeFloat = 0.0
    for_s: PositiveFloat | None = None


class StreamFaults(_Strict):
    """What goes wrong on a faulty connection; every key is optional, at least one fault is required.

    ``connections`` says which connections are faulty: the first n to LOGIN in each session
    (``x-fake-session``) since the scenario was loaded or reset; later ones behave, so a
    client that reconnects is rewarded. ``null``: every connection. ``refuse_reg`` counts
    REG frames per session on its own and ignores ``connections``.
    """

    drop_after_messages: PositiveInt | None = None
    drop_after_s: PositiveFloat | None = None
    drop_code: DropCode = 1006
    stall_after_s: NonNegativeFloat | None = None
    stall_for_s: PositiveFloat | None = None
    skip_pings: bool = False
    refuse_reg: RefuseReg | None = None
    token_expires_after_s: PositiveFloat | None = None
    duplicate_every: PositiveInt | None = None
    out_of_order_every: int | None = Field(default=None, ge=2)
    burst: Burst | None = None
    connections: PositiveInt | None = 1

    @model_validator(mode="after")
    def _consistent(self) -> StreamFaults:
        faults = (
            self.drop_after_messages,
            self.drop_after_s,
            self.stall_after_s,
            self.refuse_reg,
            self.token_expires_after_s,
            self.duplicate_every,
            self.out_of_order_every,
            self.burst,
        )
        if self.stall_for_s is not None and self.stall_after_s is None:
            raise ValueError("stall_for_s needs stall_after_s (when the stall starts)")
        if "drop_code" in self.model_fields_set and not self.drops:
            raise ValueError("drop_code needs drop_after_messages or drop_after_s (when to drop)")
        if all(fault is None for fault in faults) and not self.skip_pings:
            raise ValueError("the stream block names no fault (drop_after_messages, drop_after_s, stall_after_s, ...)")
        return self

    @property
    def drops(self) -> bool:
        return self.drop_after_messages is not None or self.drop_after_s is not None
