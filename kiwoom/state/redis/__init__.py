"""State shared by several server processes through Redis (``KIWOOM_STORAGE=redis``).

Kiwoom limits requests per app key and hands out one token per key, so workers behind one
port must act as one client: one cache, one token, one rate budget, one breaker. Every
piece here degrades to the in-process memory state when Redis cannot be reached, with
bounded timeouts, and goes back to Redis when it returns.
"""

from kiwoom.state.redis.link import FORMAT_VERSION, RedisLink, RedisUnavailableError

__all__ = ["FORMAT_VERSION", "RedisLink", "RedisUnavailableError"]
