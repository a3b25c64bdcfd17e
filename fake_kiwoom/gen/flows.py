"""Generators of the flows family (specs in tr_catalog/specs/flows.yaml).

Investor flows (ka10008, ka10009, ka10059, ka10061, ka10131, ka90009), program trading
(ka90005, ka90010, ka90013) and themes (ka90001, ka90002). The flow model is in
:mod:`.flows_model`; each part module holds the generators of a few TRs.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import Generator
from .flows_investor import GENERATORS as INVESTOR
from .flows_program import GENERATORS as PROGRAM
from .flows_rank import GENERATORS as RANK
from .flows_themes import GENERATORS as THEMES

GENERATORS: Mapping[str, Generator] = {**INVESTOR, **PROGRAM, **RANK, **THEMES}
