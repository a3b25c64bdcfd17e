"""Hooks through which the client reports what it does, for metrics and timelines.

The client calls these at each upstream request, retry, cache lookup, fallback, breaker
change and wait for the rate budget; the default observer does nothing. The MCP server plugs in Prometheus metrics and
the scenario runner a timeline recorder, without the client knowing either.
"""

from __future__ import annotations


class ClientObserver:
    """No-op base: override what you need."""

    def upstream_request(self, api_id: str, outcome: str, elapsed_s: float) -> None:
        """One HTTP exchange with Kiwoom; ``outcome`` is ``"200"``, ``"429"``, ``"timeout"`` ..."""

    def retry(self, operation: str, attempt: int, delay_s: float, cause: str) -> None:
        """A failed attempt that will be retried after ``delay_s``."""

    def cache(self, operation: str, event: str) -> None:
        """``hit``, ``miss``, ``stale``, ``coalesced`` (joined an identical call in flight) or ``shared``.

        ``shared`` follows a ``miss`` of this worker's own cache when another worker's fresh
        answer was found in the shared store (Redis), so no request went upstream.
        """

    def fallback(self, operation: str, kind: str, reason: str) -> None:
        """Answered from ``stale`` cache or ``sample`` data instead of upstream."""

    def breaker(self, old_state: str, new_state: str) -> None:
        """The circuit breaker moved between closed, open and half_open."""

    def storage(self, backend: str, healthy: bool) -> None:
        """The shared-state backend went down (serving from memory) or came back."""

    def paced(self, api_id: str, wait_s: float, *, declined: bool = False) -> None:
        """``api_id``'s rate budget had no request to spare: the caller now sleeps ``wait_s``.

        Reported at the start of each sleep, so a wait shows where it happens and a request
        that arrives late is not mistaken for a slow server or a longer backoff. With
        ``declined`` the caller would not wait and asks another way (a ka10095 batch instead
        of ka10001); ``wait_s`` is then how long it would have waited (0 when others were queued).
        """


class FanOut(ClientObserver):
    """Reports to several observers: the server's metrics and, say, a lesson's timeline."""

    def __init__(self, *observers: ClientObserver) -> None:
        # A plain ClientObserver does nothing: leave it out.
        self.observers = [o for o in observers if type(o) is not ClientObserver]

    def upstream_request(self, api_id: str, outcome: str, elapsed_s: float) -> None:
        for o in self.observers:
            o.upstream_request(api_id, outcome, elapsed_s)

    def retry(self, operation: str, attempt: int, delay_s: float, cause: str) -> None:
        for o in self.observers:
            o.retry(operation, attempt, delay_s, cause)

    def cache(self, operation: str, event: str) -> None:
        for o in self.observers:
            o.cache(operation, event)

    def fallback(self, operation: str, kind: str, reason: str) -> None:
        for o in self.observers:
            o.fallback(operation, kind, reason)

    def breaker(self, old_state: str, new_state: str) -> None:
        for o in self.observers:
            o.breaker(old_state, new_state)

    def storage(self, backend: str, healthy: bool) -> None:
        for o in self.observers:
            o.storage(backend, healthy)

    def paced(self, api_id: str, wait_s: float, *, declined: bool = False) -> None:
        for o in self.observers:
            o.paced(api_id, wait_s, declined=declined)
