"""The fake's stock universe: real KRX listings with realistic anchors.

Codes and names are real so that a client pointed at the fake looks up the same
symbols it would on the live server: some 340 KOSPI, KOSDAQ and ETF listings and a few
ETNs, their codes, short names (as KRX and Kiwoom spell them), listing dates, face values
and share counts taken from KRX listing data. Base prices are rough late-2024 levels and
ETF and ETN unit counts (and a few ETF and most ETN listing dates) are approximate; they
only anchor the synthetic random walk (see ``market.py``), so they need to be plausible,
not current. The ETNs' codes and names are as Kiwoom's ka10099 listed them in 2026
(Soochol/hoga-ops ``hoga/api/kiwoom_master_seed.json``), each checked against a second
public source.

The rows live in ``krx/listings.csv`` (UTF-8, one listing a line, header ``FIELDS``),
read once at import; a malformed row fails the import with its line number. Its first
48 rows are the original universe, in their original order and with their original
anchors: the deterministic tests' expected numbers and the first codes some tests take
hang on them, so later listings are appended below.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources


class Market(StrEnum):
    KOSPI = "KOSPI"
    KOSDAQ = "KOSDAQ"
    ETF = "ETF"
    #: Exchange-traded notes: listed on the securities (KOSPI) market like ETFs, and traded
    #: like them (the ETF tick grid, no Nextrade), but debt of their issuer, not funds.
    ETN = "ETN"


#: ka10099 ``marketCode`` values: a row's own product type. For KOSPI, KOSDAQ and ETF they
#: are also the ``mrkt_tp`` of their list; ETN's 60 is a product type only (Kiwoom documents
#: no ``mrkt_tp`` 60, and the ETNs come in the KOSPI list, see ``MARKETS_LISTED``).
MARKET_CODES: dict[Market, str] = {Market.KOSPI: "0", Market.KOSDAQ: "10", Market.ETF: "8", Market.ETN: "60"}

#: ``mrkt_tp`` codes Kiwoom documents for ka10099; the fake lists nothing for the others.
KNOWN_MARKET_TYPES: frozenset[str] = frozenset({"0", "10", "3", "8", "30", "50", "4", "5", "6", "9", "2"})

MARKET_NAMES_KO: dict[Market, str] = {
    Market.KOSPI: "거래소",
    Market.KOSDAQ: "코스닥",
    Market.ETF: "ETF",
    Market.ETN: "ETN",
}

#: Which listings each ka10099 ``mrkt_tp`` returns. On KRX, ETFs and ETNs trade on the
#: securities (KOSPI) market, so the KOSPI list carries every ETF and ETN too, each row
#: keeping its ``marketCode`` (8 ETF, 60 ETN: a product type, not the list asked for); the
#: ETF list holds ETFs alone, and no list holds ETNs alone. Measured by a public client
#: (Soochol/hoga-ops, ``hoga/api/kiwoom_master.py``, 2026-08-03): ``mrkt_tp=0`` gave 917
#: stocks, 1,155 ETFs and 376 ETNs (``marketCode`` 60, and 70/90 for loss-limited and
#: volatility ETNs); ``mrkt_tp=10`` only KOSDAQ.
MARKETS_LISTED: dict[str, frozenset[Market]] = {
    "0": frozenset({Market.KOSPI, Market.ETF, Market.ETN}),
    "10": frozenset({Market.KOSDAQ}),
    "8": frozenset({Market.ETF}),
}

#: Size classes whose stocks also trade on Nextrade (NXT); see ``Listing.nxt_enabled``.
NXT_SIZE_CLASSES: frozenset[str] = frozenset({"대형주", "중형주"})


@dataclass(frozen=True, slots=True)
class Listing:
    """One listed security and the anchors of its synthetic price history."""

    code: str
    name: str
    name_en: str
    market: Market
    sector: str
    base_price: int
    shares: int
    reg_day: str
    face_value: int = 5000
    size_class: str = "대형주"

    @property
    def is_etf(self) -> bool:
        """An ETF, and only that: ETF lists, rankings and TRs (ka40xxx) leave ETNs out."""
        return self.market is Market.ETF

    @property
    def is_etn(self) -> bool:
        return self.market is Market.ETN

    @property
    def is_etp(self) -> bool:
        """An exchange-traded product (ETF or ETN): what trades like an ETF rather than a stock.

        KRX quotes both on the ETF tick grid (pass it as ``etf=`` to ``prices``), neither has
        earnings or trades on Nextrade, and stock rankings that exclude ETFs exclude both.
        """
        return self.market in (Market.ETF, Market.ETN)

    @property
    def nxt_enabled(self) -> bool:
        """Whether Nextrade trades it too (ka10099 ``nxtEnable``; ``_NX``/``_AL`` codes).

        NXT admits a subset of KRX stocks and no ETFs or ETNs (measured: every ETF and ETN
        row says ``N``). The fake's deterministic rule: the large and mid caps
        (``size_class`` 대형주/중형주) of KOSPI and KOSDAQ; KOSDAQ small caps, ETFs and
        ETNs are KRX only.
        """
        return not self.is_etp and self.size_class in NXT_SIZE_CLASSES


#: Where the rows live: a UTF-8 CSV inside the ``krx`` package, shipped in the wheel.
DATA_PACKAGE = "krx"
DATA_FILE = "listings.csv"

#: The CSV header, in order; ``Listing``'s fields.
FIELDS: tuple[str, ...] = (
    "code", "name", "name_en", "market", "sector", "base_price", "shares", "reg_day", "face_value", "size_class",
)  # fmt: skip

_CODE = re.compile(r"[0-9]{6}")
_DAY = re.compile(r"(19|20)[0-9]{6}")


def data_text() -> str:
    """The listing CSV as shipped (``krx/listings.csv``)."""
    return resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_text(encoding="utf-8")


def _row(fields: dict[str, str], line: int) -> Listing:
    code, name, reg_day = fields["code"], fields["name"], fields["reg_day"]
    if not _CODE.fullmatch(code):
        raise ValueError(f"{DATA_FILE}:{line}: code {code!r} is not six digits")
    if not name.strip() or not fields["name_en"].strip():
        raise ValueError(f"{DATA_FILE}:{line}: {code} has no name")
    if not _DAY.fullmatch(reg_day):
        raise ValueError(f"{DATA_FILE}:{line}: {code} reg_day {reg_day!r} is not YYYYMMDD")
    try:
        market = Market(fields["market"])
        base_price, shares, face_value = (int(fields[k]) for k in ("base_price", "shares", "face_value"))
    except ValueError as error:
        raise ValueError(f"{DATA_FILE}:{line}: {code}: {error}") from None
    if base_price <= 0 or shares <= 0 or face_value < 0:
        raise ValueError(f"{DATA_FILE}:{line}: {code} needs a positive price and share count")
    return Listing(
        code, name, fields["name_en"], market, fields["sector"], base_price, shares, reg_day,
        face_value, fields["size_class"],
    )  # fmt: skip


def parse_listings(text: str) -> tuple[Listing, ...]:
    """Listings from CSV text in the ``FIELDS`` layout; codes and names must be unique."""
    reader = csv.DictReader(io.StringIO(text), strict=True)
    if tuple(reader.fieldnames or ()) != FIELDS:
        raise ValueError(f"{DATA_FILE}: header {reader.fieldnames} is not {list(FIELDS)}")
    listings: list[Listing] = []
    codes: set[str] = set()
    names: set[str] = set()
    for fields in reader:
        line = reader.line_num
        if None in fields or any(value is None for value in fields.values()):
            raise ValueError(f"{DATA_FILE}:{line}: expected {len(FIELDS)} columns")
        listing = _row(fields, line)
        if listing.code in codes:
            raise ValueError(f"{DATA_FILE}:{line}: code {listing.code} is listed twice")
        if listing.name in names:
            raise ValueError(f"{DATA_FILE}:{line}: name {listing.name} is listed twice")
        codes.add(listing.code)
        names.add(listing.name)
        listings.append(listing)
    return tuple(listings)


LISTINGS: tuple[Listing, ...] = parse_listings(data_text())

_BY_CODE: dict[str, Listing] = {item.code: item for item in LISTINGS}

#: Venue suffixes Kiwoom accepts on stock codes (Nextrade, combined); echoed back in ``stk_cd``.
VENUE_SUFFIXES: tuple[str, ...] = ("_NX", "_AL")


def split_venue(stk_cd: str) -> tuple[str, str]:
    """``"005930_NX"`` → ``("005930", "_NX")``; a bare code has an empty suffix."""
    for suffix in VENUE_SUFFIXES:
        if stk_cd.endswith(suffix):
            return stk_cd[: -len(suffix)], suffix
    return stk_cd, ""


def find_listing(stk_cd: str) -> Listing | None:
    """The listing for a code with or without venue suffix; ``A``-prefixed codes are accepted too."""
    code, _ = split_venue(stk_cd.strip())
    if len(code) == 7 and code.startswith("A"):
        code = code[1:]
    return _BY_CODE.get(code)


def listings_in(market: Market) -> list[Listing]:
    return [item for item in LISTINGS if item.market is market]


def listed_under(mrkt_tp: str) -> list[Listing]:
    """The listings ka10099 returns for ``mrkt_tp``, in listing order (see ``MARKETS_LISTED``)."""
    markets = MARKETS_LISTED.get(mrkt_tp, frozenset())
    return [item for item in LISTINGS if item.market in markets]
