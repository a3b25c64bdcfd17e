"""Generators of the detail family (specs in tr_catalog/specs/detail.yaml): one stock up close.

The parts: executions and execution strength (``detail_flow``: ka10046, ka10047, ka10003),
brokers (``detail_brokers``: ka10002, ka10040), credit, short selling and lending
(``detail_balances``: ka10013, ka10014, ka20068, ka10068), price jumps (``detail_jumps``:
ka10019) and the HTS watchlist groups (``detail_watch``: ka01300, ka01301).
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import Generator
from .detail_balances import GENERATORS as BALANCES
from .detail_brokers import GENERATORS as BROKERS
from .detail_flow import GENERATORS as FLOW
from .detail_jumps import GENERATORS as JUMPS
from .detail_watch import GENERATORS as WATCH

GENERATORS: Mapping[str, Generator] = {**FLOW, **BROKERS, **BALANCES, **JUMPS, **WATCH}
