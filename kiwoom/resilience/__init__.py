"""Resilience primitives the client composes: retry with backoff, response cache, circuit breaker.

Each piece takes an injectable clock (and sleep), so that its timing is tested by moving a
fake clock rather than by waiting; none of them knows about HTTP or MCP.
"""

from kiwoom.errors import RetriesExhausted
from kiwoom.resilience.breaker import BreakerState, CircuitBreaker
from kiwoom.resilience.cache import CacheHit, CacheStats, ResponseCache, SingleFlight, cache_key
from kiwoom.resilience.retry import (
    RetryEvent,
    RetryOutcome,
    RetryPolicy,
    backoff_delay,
    call_with_retry,
    is_retryable,
)

__all__ = [
    "BreakerState",
    "CacheHit",
    "CacheStats",
    "CircuitBreaker",
    "ResponseCache",
    "RetriesExhausted",
    "RetryEvent",
    "RetryOutcome",
    "RetryPolicy",
    "SingleFlight",
    "backoff_delay",
    "cache_key",
    "call_with_retry",
    "is_retryable",
]
