"""Generators of the rankings family (URL group rkinfo; specs in tr_catalog/specs/rankings.yaml).

Every ranking ranks what the single-stock TRs report at the same instant: the quotes of
ka10001, the order books of ka10004, the foreign flows of ka10008 and the broker split of
ka10040, over the listed stocks of the market asked for (``rankings_common``). The parts:

* ``rankings_book``: ka10020, ka10021, ka10022 (order-book remainders and their surges);
* ``rankings_price``: ka10027, ka10029, ka10033 (change rates, expected execution, credit ratio);
* ``rankings_volume``: ka10023, ka10030, ka10031, ka10032 (volume surges, volume and value);
* ``rankings_foreign``: ka10034, ka10035, ka10036, ka10037 (foreign investors and brokers).
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import Generator
from .rankings_book import GENERATORS as BOOK
from .rankings_foreign import GENERATORS as FOREIGN
from .rankings_price import GENERATORS as PRICE
from .rankings_volume import GENERATORS as VOLUME

GENERATORS: Mapping[str, Generator] = {**BOOK, **PRICE, **VOLUME, **FOREIGN}
