"""Generators of the TRs answered from the catalog: one module per family, one function per api-id.

A generator turns a request into values (numbers, dates, ``(price, previous_close)`` pairs)
drawn from the synthetic market, so that a ranking ranks the prices ka10001 reports and a
sector index moves with its members; :mod:`fake_kiwoom.catalog_trs` checks the request
against the catalog first and encodes the values as the catalog's encodings say.
Adding a TR is one spec entry in ``tr_catalog/specs`` and one generator here.
"""

from __future__ import annotations

from collections.abc import Mapping

from .accounts import GENERATORS as ACCOUNTS
from .base import Answer, Generator
from .charts import GENERATORS as CHARTS
from .detail import GENERATORS as DETAIL
from .flows import GENERATORS as FLOWS
from .rankings import GENERATORS as RANKINGS
from .sectors import GENERATORS as SECTORS

GENERATORS: Mapping[str, Generator] = {**ACCOUNTS, **CHARTS, **DETAIL, **FLOWS, **RANKINGS, **SECTORS}

__all__ = ["GENERATORS", "Answer", "Generator"]
