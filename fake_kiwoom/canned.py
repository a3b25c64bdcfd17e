"""Small scenarios built in code, for tests and benchmarks that need a fault from the first request.

The catalog in ``scenarios/`` tells a story over time (the outage there starts a minute
in); these are the bare faults, fixed here so the suites do not each write their own copy.
"""

from __future__ import annotations

OUTAGE_NOW = """\
version: 1
name: outage_now
description: every TR answers a proxy 503 from the first request on; the token endpoint still works
rules:
  - match: {path: /api/dostk/*}
    steps: [{times: null, fault: {type: http_status, status: 503}}]
    then: hold
"""
