"""Real-time quotes over Kiwoom's WebSocket, from the socket up to what the MCP tools read.

The call chain, top to bottom:

* ``hub.py``: :class:`LiveHub`, what the MCP tools and resources use: subscribe on first
  use, drop codes nobody asked for lately, the latest tick per code with its age, and
  listeners for resource notifications.
* ``feed.py``: the :class:`TickFeed` seam the hub reads from: one socket in this process
  (:class:`LocalFeed`) or, with Redis, one socket per app key shared by every worker
  (``redis_feed.py``: a leased leader, ticks fanned out over pub/sub).
* ``stream.py``: :class:`RealtimeStream`, one upstream connection kept alive: LOGIN, PING
  echo, batched REG, a watchdog, reconnect with backoff and jitter, resubscribe, REST
  backfill after a gap, and bounded conflating buffers.
* ``connector.py``: how a socket is opened: ``websockets`` on the network, or the
  embedded fake in-process over ASGI.
* ``ticks.py``: pure decoding of ``REAL`` values into the REST quote's field names.
"""
