"""English names of well-known KRX listings, so ``search_stock`` answers "Samsung" too.

Kiwoom's ka10099 listing carries Korean names only; this table adds the common English
names of large caps and popular ETFs. A code missing here is still found by its Korean
name or its code.
"""

from __future__ import annotations

from typing import Final

ENGLISH_NAMES: Final[dict[str, str]] = {
    "005930": "Samsung Electronics",
    "000660": "SK hynix",
    "373220": "LG Energy Solution",
    "207940": "Samsung Biologics",
    "005380": "Hyundai Motor",
    "000270": "Kia",
    "068270": "Celltrion",
    "035420": "NAVER",
    "035720": "Kakao",
    "051910": "LG Chem",
    "006400": "Samsung SDI",
    "005490": "POSCO Holdings",
    "105560": "KB Financial Group",
    "055550": "Shinhan Financial Group",
    "012330": "Hyundai Mobis",
    "028260": "Samsung C&T",
    "066570": "LG Electronics",
    "003550": "LG Corp",
    "017670": "SK Telecom",
    "030200": "KT",
    "015760": "Korea Electric Power",
    "034730": "SK Inc",
    "096770": "SK Innovation",
    "011200": "HMM",
    "010130": "Korea Zinc",
    "086790": "Hana Financial Group",
    "032830": "Samsung Life Insurance",
    "009150": "Samsung Electro-Mechanics",
    "018260": "Samsung SDS",
    "033780": "KT&G",
    "247540": "EcoPro BM",
    "086520": "EcoPro",
    "196170": "Alteogen",
    "028300": "HLB",
    "263750": "Pearl Abyss",
    "293490": "Kakao Games",
    "035900": "JYP Entertainment",
    "041510": "SM Entertainment",
    "058470": "Leeno Industrial",
    "039030": "EO Technics",
    "357780": "Soulbrain",
    "069500": "KODEX 200",
    "102110": "TIGER 200",
    "229200": "KODEX KOSDAQ150",
    "122630": "KODEX Leverage",
    "114800": "KODEX Inverse",
    "252670": "KODEX 200 Futures Inverse 2X",
    "360750": "TIGER US S&P500",
}
