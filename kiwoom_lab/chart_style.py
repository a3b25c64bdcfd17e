"""What each colour on the timeline means: one colour per meaning, and every one in the legend.

Every mark takes its colour from a :class:`Style` here, never from a literal, and the
chart records which styles it used (:class:`StylesUsed`), so the legend lists exactly what
the picture shows. No two styles share a colour: "sample data" and "HTTP 5xx" used to be the
same red, and a learner could not tell a fallback from a failing server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kiwoom_lab.timeline import Event

#: The legend's little drawing of a style: the shape its marks take.
Swatch = Literal["bar", "tick", "dot", "ring", "diamond", "band", "line", "dash"]


@dataclass(frozen=True, slots=True)
class Style:
    key: str
    colour: str
    meaning: str
    swatch: Swatch
    #: Colour of a label beside a mark of this style (the style's own colour when it reads well on white).
    ink: str = ""
    #: Colour of a label drawn on a bar of this style.
    on: str = "#ffffff"

    @property
    def label_colour(self) -> str:
        return self.ink or self.colour


_ALL = (
    Style("fresh", "#2e9d57", "fresh answer · 200 OK", "bar"),
    Style("cache", "#3f7fd0", "from cache · cache hit", "bar"),
    Style("coalesced", "#93b7e6", "joined an identical call in flight", "dot", ink="#3f6fb0"),
    Style("stale", "#e39b1b", "stale cache answer", "bar", ink="#9a6400"),
    Style("sample", "#d95fa8", "sample data (fallback)", "bar", ink="#b03c84"),
    Style("call_error", "#7a1d1a", "the call raised an error", "bar"),
    Style("http_error", "#d2413a", "HTTP error status (5xx)", "tick"),
    Style("envelope", "#f26b1d", "Kiwoom error code in the body (1700, 8005)", "tick", ink="#c04f0c"),
    Style("latency", "#c7b11d", "injected latency (a slow 200)", "tick", ink="#8a7a00"),
    Style("hang", "#8b4fc9", "hang: no answer", "tick"),
    Style("dropped", "#222222", "connection dropped", "tick"),
    Style("bad_body", "#8c5a2b", "malformed or truncated body", "tick"),
    Style("empty_output", "#a1887f", "empty output (a 200 with no rows)", "tick", ink="#7a6258"),
    Style("token", "#5b6b7b", "token issued or revoked (au1000x)", "tick"),
    Style("answer", "#555555", "answer back at the client", "ring"),
    Style("batch", "#6b7fd7", "one batch request answered these calls", "line"),
    Style("retry_wait", "#f3c96b", "backoff wait before a retry or reconnect", "bar", ink="#9a6400", on="#5a4200"),
    Style("paced", "#b39ddb", "wait for the rate budget", "bar", ink="#6a4fa8", on="#3d2a6e"),
    Style("paced_spent", "#7e57c2", "rate budget spent: asked another way", "dot"),
    Style("neutral", "#8a8f98", "cache miss · other event", "dot", ink="#666a70"),
    Style("ttl", "#cfe3f7", "cached result fresh (within its TTL)", "band", ink="#3f6fb0", on="#2b4f80"),
    Style("stale_window", "#fdf1cc", "past TTL: may answer a failure as stale", "band", ink="#9a6400", on="#6b4e00"),
    Style("breaker_closed", "#d9f0e1", "breaker closed", "band", ink="#3d6b4c", on="#3d6b4c"),
    Style("breaker_open", "#f6d0ce", "breaker open: calls answered without a request", "band", on="#7a2a26"),
    Style("breaker_half_open", "#fcd9b6", "breaker half-open: one probe", "band", on="#7a4a12"),
    Style("breaker_change", "#333333", "breaker changed state", "line"),
    Style("faults_on", "#777777", "scenario loaded: faults start", "dash"),
    Style("stream_ok", "#26a69a", "stream: connected, logged in, registered, ticking", "dot", ink="#1b7f75"),
    Style("stream_warn", "#ffb300", "stream: watchdog, gap, stall, duplicate", "dot", ink="#9a6c00"),
    Style("stream_fail", "#c62828", "stream: dropped, refused or failed", "dot"),
    Style("stream_info", "#b0b6bd", "stream: other socket event", "dot", ink="#666a70"),
    Style("fleet_ok", "#5c6bc0", "workers: Redis shared again", "dot"),
    Style("fleet_warn", "#ff8a65", "workers: Redis lost, each on its own memory", "dot", ink="#c2502c"),
    Style("fleet_fail", "#6d4c41", "the lab cut Redis or killed a worker", "dot"),
    Style("fleet_info", "#90a4ae", "workers: other fleet event", "dot", ink="#5f7480"),
)
STYLES: dict[str, Style] = {style.key: style for style in _ALL}

_SOURCES = {"live": "fresh", "simulated": "fresh", "cache": "cache", "stale": "stale", "sample": "sample"}
_FAULTS = {
    "http_status": "http_error",
    "kiwoom_error": "envelope",
    "hang": "hang",
    "drop_connection": "dropped",
    "malformed_json": "bad_body",
    "truncated_body": "bad_body",
    "empty_output": "empty_output",
    "latency": "latency",
}
_CACHE = {"hit": "cache", "shared": "cache", "coalesced": "coalesced", "stale": "stale"}
_FALLBACK = {"stale": "stale", "sample": "sample"}
_STREAM = {"ok": "stream_ok", "warn": "stream_warn", "fail": "stream_fail", "info": "stream_info"}
_FLEET = {"ok": "fleet_ok", "warn": "fleet_warn", "fail": "fleet_fail", "info": "fleet_info"}


def fault_of(event: Event) -> str:
    """The fault the fake injected into a request (``fault=hang`` in its detail), or ``""``."""
    return next((w[6:].rstrip(",:;") for w in event.detail.split() if w.startswith("fault=")), "")


def envelope_code(event: Event) -> str:
    """The Kiwoom return code of a request answered with an error envelope (``[8005]``), or ``""``."""
    return next((w[1:-1] for w in event.detail.split() if w.startswith("[") and w.endswith("]")), "")


def is_token(event: Event) -> bool:
    return event.api_id.startswith("au1000") or event.detail.startswith("au1000")


def _request_style(event: Event) -> str:
    fault = fault_of(event)
    if fault:
        return _FAULTS.get(fault, "http_error")
    if is_token(event) and event.tone == "ok":
        return "token"
    if envelope_code(event):
        return "envelope"
    if event.label == "dropped":
        return "dropped"
    return "fresh" if event.tone == "ok" else "http_error"


def style_of(event: Event) -> str:
    """The key of the style an event's mark is drawn in."""
    kind = event.kind
    if kind == "call":
        return _SOURCES.get(event.label, "call_error" if event.tone == "fail" else "neutral")
    if kind == "request":
        return _request_style(event)
    if kind == "response":
        return "answer"
    if kind == "retry":
        return "retry_wait"
    if kind == "paced":
        return "paced" if event.duration_s else "paced_spent"
    if kind == "cache":
        return _CACHE.get(event.label, "neutral")
    if kind == "fallback":
        return _FALLBACK.get(event.label, "call_error")
    if kind == "stream":
        return "retry_wait" if event.duration_s else _STREAM[event.tone]
    if kind == "scenario":
        return "faults_on"
    if kind == "fleet":
        return _FLEET[event.tone]
    return "neutral"


@dataclass(slots=True)
class StylesUsed:
    """The styles one picture drew with, in first-use order: the legend is made from it."""

    keys: list[str] = field(default_factory=list)

    def __call__(self, key: str) -> Style:
        """The style ``key``, noted as used."""
        if key not in self.keys:
            self.keys.append(key)
        return STYLES[key]

    def styles(self) -> list[Style]:
        """The used styles in the legend's order (the order of this module's table)."""
        return [style for style in _ALL if style.key in self.keys]
