"""The state seam in Redis, for several server processes on one port (``KIWOOM_STORAGE=redis``).

Kiwoom limits requests per app key and hands out one token per key, so workers behind one
port must act as one client: one cache, one token, one rate budget, one breaker. Every
store here raises :class:`~kiwoom.errors.RedisUnavailableError` when Redis cannot be
reached in time; :mod:`kiwoom.state.degrading` decides what happens then.
"""

from kiwoom.state.redis.batch import RedisBatchQueue
from kiwoom.state.redis.breaker import RedisBreaker
from kiwoom.state.redis.budget import RedisRateBudget
from kiwoom.state.redis.link import FORMAT_VERSION, RedisLink
from kiwoom.state.redis.results import RedisResultStore
from kiwoom.state.redis.tokens import RedisTokenStore
from kiwoom.state.redis.workers import RedisWorkerRegistry

__all__ = [
    "FORMAT_VERSION",
    "RedisBatchQueue",
    "RedisBreaker",
    "RedisLink",
    "RedisRateBudget",
    "RedisResultStore",
    "RedisTokenStore",
    "RedisWorkerRegistry",
]
