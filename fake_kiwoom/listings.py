"""The fake's stock universe: real KRX listings with realistic anchors.

Codes and names are real so that a client pointed at the fake looks up the same
symbols it would on the live server. Base prices and share counts are rough
late-2024 levels; they only anchor the synthetic random walk (see ``market.py``),
so they need to be plausible, not current.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Market(StrEnum):
    KOSPI = "KOSPI"
    KOSDAQ = "KOSDAQ"
    ETF = "ETF"


#: ka10099 ``mrkt_tp`` codes for the markets the fake lists; ka10099 ``marketCode`` values.
MARKET_CODES: dict[Market, str] = {Market.KOSPI: "0", Market.KOSDAQ: "10", Market.ETF: "8"}

#: ``mrkt_tp`` codes Kiwoom documents for ka10099; the fake lists nothing for the others.
KNOWN_MARKET_TYPES: frozenset[str] = frozenset({"0", "10", "3", "8", "30", "50", "4", "5", "6", "9", "2"})

MARKET_NAMES_KO: dict[Market, str] = {
    Market.KOSPI: "거래소",
    Market.KOSDAQ: "코스닥",
    Market.ETF: "ETF",
}


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
        return self.market is Market.ETF


_l = Listing
_K, _Q, _E = Market.KOSPI, Market.KOSDAQ, Market.ETF

LISTINGS: tuple[Listing, ...] = (
    # KOSPI
    _l("005930", "삼성전자", "Samsung Electronics", _K, "전기전자", 70000, 5_969_782_550, "19750611", 100),
    _l("000660", "SK하이닉스", "SK hynix", _K, "전기전자", 180000, 728_002_365, "19961226"),
    _l("373220", "LG에너지솔루션", "LG Energy Solution", _K, "전기전자", 380000, 234_000_000, "20220127", 500),
    _l("207940", "삼성바이오로직스", "Samsung Biologics", _K, "의약품", 950000, 71_174_000, "20161110", 2500),
    _l("005380", "현대차", "Hyundai Motor", _K, "운수장비", 220000, 209_416_191, "19740628"),
    _l("000270", "기아", "Kia", _K, "운수장비", 95000, 397_672_632, "19730721"),
    _l("068270", "셀트리온", "Celltrion", _K, "의약품", 180000, 216_930_000, "20180209", 1000),
    _l("035420", "NAVER", "NAVER", _K, "서비스업", 200000, 158_437_008, "20081129", 100),
    _l("035720", "카카오", "Kakao", _K, "서비스업", 40000, 442_468_240, "20171110", 100),
    _l("051910", "LG화학", "LG Chem", _K, "화학", 300000, 70_592_343, "20010425"),
    _l("006400", "삼성SDI", "Samsung SDI", _K, "전기전자", 300000, 68_764_530, "19790727"),
    _l("005490", "POSCO홀딩스", "POSCO Holdings", _K, "철강금속", 350000, 84_571_230, "19880610"),
    _l("105560", "KB금융", "KB Financial Group", _K, "금융업", 80000, 393_528_423, "20081010"),
    _l("055550", "신한지주", "Shinhan Financial Group", _K, "금융업", 50000, 509_393_214, "20010918"),
    _l("012330", "현대모비스", "Hyundai Mobis", _K, "운수장비", 250000, 93_125_141, "19891205"),
    _l("028260", "삼성물산", "Samsung C&T", _K, "유통업", 140000, 169_976_544, "20141218", 100),
    _l("066570", "LG전자", "LG Electronics", _K, "전기전자", 90000, 163_647_814, "20020422"),
    _l("003550", "LG", "LG Corp", _K, "기타금융", 80000, 157_300_382, "19700413"),
    _l("017670", "SK텔레콤", "SK Telecom", _K, "통신업", 55000, 214_790_053, "19891107", 100),
    _l("030200", "KT", "KT", _K, "통신업", 40000, 257_906_174, "19981223"),
    _l("015760", "한국전력", "KEPCO", _K, "전기가스업", 21000, 641_964_077, "19890825"),
    _l("034730", "SK", "SK Inc", _K, "기타금융", 140000, 73_199_906, "20091111", 200),
    _l("096770", "SK이노베이션", "SK Innovation", _K, "화학", 110000, 150_946_688, "20070711"),
    _l("011200", "HMM", "HMM", _K, "운수창고업", 18000, 1_033_560_000, "19950929"),
    _l("010130", "고려아연", "Korea Zinc", _K, "철강금속", 800000, 20_703_283, "19900730"),
    _l("086790", "하나금융지주", "Hana Financial Group", _K, "금융업", 60000, 292_356_598, "20051212"),
    _l("032830", "삼성생명", "Samsung Life Insurance", _K, "보험업", 90000, 200_000_000, "20100512", 500),
    _l("009150", "삼성전기", "Samsung Electro-Mechanics", _K, "전기전자", 140000, 74_693_696, "19790227"),
    _l("018260", "삼성에스디에스", "Samsung SDS", _K, "서비스업", 150000, 77_377_800, "20141114", 500),
    _l("033780", "KT&G", "KT&G", _K, "음식료품", 100000, 126_266_815, "19991008"),
    # KOSDAQ
    _l("247540", "에코프로비엠", "EcoPro BM", _Q, "일반전기전자", 150000, 97_801_344, "20190305", 500),
    _l("086520", "에코프로", "EcoPro", _Q, "금융", 80000, 133_138_340, "20070720", 500),
    _l("196170", "알테오젠", "Alteogen", _Q, "제약", 350000, 53_475_102, "20141212", 500),
    _l("028300", "HLB", "HLB", _Q, "운송장비·부품", 70000, 131_049_720, "19960705", 500, "중형주"),
    _l("263750", "펄어비스", "Pearl Abyss", _Q, "디지털컨텐츠", 35000, 63_838_810, "20170914", 100, "중형주"),
    _l("293490", "카카오게임즈", "Kakao Games", _Q, "디지털컨텐츠", 17000, 82_811_040, "20200910", 100, "중형주"),
    _l("035900", "JYP Ent.", "JYP Entertainment", _Q, "오락·문화", 60000, 35_593_486, "20011121", 500, "중형주"),
    _l("041510", "에스엠", "SM Entertainment", _Q, "오락·문화", 80000, 23_816_439, "20000204", 500, "중형주"),
    _l("058470", "리노공업", "Leeno Industrial", _Q, "반도체", 200000, 15_242_370, "20011218", 500, "중형주"),
    _l("039030", "이오테크닉스", "EO Technics", _Q, "반도체", 150000, 12_159_861, "20000907", 500, "중형주"),
    _l("357780", "솔브레인", "Soulbrain", _Q, "화학", 250000, 7_778_566, "20200716", 500, "중형주"),
    # ETFs
    _l("069500", "KODEX 200", "KODEX 200", _E, "ETF", 35000, 150_000_000, "20021014", 0, ""),
    _l("102110", "TIGER 200", "TIGER 200", _E, "ETF", 35000, 90_000_000, "20080403", 0, ""),
    _l("229200", "KODEX 코스닥150", "KODEX KOSDAQ150", _E, "ETF", 12000, 100_000_000, "20151001", 0, ""),
    _l("122630", "KODEX 레버리지", "KODEX Leverage", _E, "ETF", 18000, 180_000_000, "20100222", 0, ""),
    _l("114800", "KODEX 인버스", "KODEX Inverse", _E, "ETF", 4500, 300_000_000, "20090907", 0, ""),
    _l("252670", "KODEX 200선물인버스2X", "KODEX 200 Futures Inverse 2X", _E, "ETF",
       2100, 900_000_000, "20160927", 0, ""),
    _l("360750", "TIGER 미국S&P500", "TIGER US S&P500", _E, "ETF", 19000, 120_000_000, "20200807", 0, ""),
)  # fmt: skip

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
