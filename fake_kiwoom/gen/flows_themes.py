"""Themes: ka90001 (theme groups) and ka90002 (a theme's members), over the fake's real listings.

The themes are data below: a Kiwoom-style group code, a name and the member stocks by
their KRX short names joined by ``|`` (resolved to codes at import, so a renamed listing fails loudly).
A theme's change rate is its members' average change rate from the same quotes ka10001
reports, and its period return (``date_tp`` trading days back) their average return
since that day's close.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ..listings import LISTINGS, Listing
from ..market import Quote
from ..prices import change_rate, sign_code
from ..tr_types import TrRequest
from ..venues import ALL, KRX, NXT, venue_book, venue_quote
from .base import Answer, Generator, Values

#: (group code, theme name, member names joined by ``|``), in code order.
THEME_DATA: tuple[tuple[str, str, str], ...] = (
    ("100", "반도체 대표주", "삼성전자|SK하이닉스|한미반도체|DB하이텍|LX세미콘"),
    (
        "101",
        "반도체 장비",
        "이오테크닉스|HPSP|원익IPS|주성엔지니어링|유진테크|테크윙|피에스케이|넥스틴|AP시스템|테스|케이씨텍",
    ),
    (
        "102",
        "반도체 소재/부품",
        "리노공업|ISC|티씨케이|하나머티리얼즈|솔브레인|동진쎄미켐|에스앤에스텍|원익QnC|디엔에프|코미코|한솔케미칼",
    ),
    ("103", "반도체 후공정", "하나마이크론|SFA반도체|네패스|심텍|티에스이|이수페타시스"),
    (
        "110",
        "2차전지",
        "LG에너지솔루션|삼성SDI|에코프로비엠|에코프로|포스코퓨처엠|엘앤에프|엔켐|천보|나노신소재|"
        "코스모신소재|에코프로머티|성일하이텍|대주전자재료|SK아이이테크놀로지",
    ),
    ("120", "바이오시밀러/CDMO", "삼성바이오로직스|셀트리온|셀트리온제약|에스티팜|유바이오로직스|SK바이오사이언스"),
    (
        "121",
        "신약개발",
        "알테오젠|리가켐바이오|에이비엘바이오|펩트론|오스코텍|보로노이|한미약품|유한양행|SK바이오팜|HLB|"
        "삼천당제약|메지온|신라젠",
    ),
    ("122", "K-뷰티", "아모레퍼시픽|LG생활건강|코스맥스|한국콜마|에이피알|클리오|브이티|실리콘투"),
    ("123", "미용기기/에스테틱", "클래시스|휴젤|파마리서치|케어젠"),
    ("124", "의료AI", "루닛|뷰노"),
    (
        "130",
        "자동차/부품",
        "현대차|기아|현대모비스|현대위아|HL만도|에스엘|한온시스템|성우하이텍|한국타이어앤테크놀로지|금호타이어",
    ),
    ("140", "조선", "HD한국조선해양|HD현대중공업|삼성중공업|한화오션|한화엔진|HD현대마린솔루션"),
    ("141", "방위산업", "한화에어로스페이스|LIG넥스원|한국항공우주|현대로템|한화시스템|풍산|쎄트렉아이"),
    ("150", "전력설비", "HD현대일렉트릭|LS ELECTRIC|효성중공업|대한전선|일진전기|산일전기|LS"),
    ("151", "원자력발전", "두산에너빌리티|한전KPS|한전기술|한국전력"),
    ("160", "은행", "KB금융|신한지주|하나금융지주|우리금융지주|기업은행|BNK금융지주|JB금융지주|iM금융지주|카카오뱅크"),
    ("161", "증권", "미래에셋증권|NH투자증권|한국금융지주|키움증권|삼성증권"),
    ("162", "보험", "삼성생명|삼성화재|DB손해보험|현대해상|한화생명"),
    (
        "170",
        "게임",
        "크래프톤|엔씨소프트|넷마블|펄어비스|카카오게임즈|위메이드|컴투스|네오위즈|데브시스터즈|웹젠|"
        "넥슨게임즈|시프트업|더블유게임즈",
    ),
    ("171", "엔터테인먼트", "하이브|JYP Ent.|에스엠|와이지엔터테인먼트|디어유|CJ ENM|스튜디오드래곤"),
    ("172", "인터넷 플랫폼", "NAVER|카카오|카카오페이|NHN|카페24|SOOP"),
    ("180", "로봇", "레인보우로보틱스|두산로보틱스|에스에프에이"),
    ("190", "통신/5G", "SK텔레콤|KT|LG유플러스|서진시스템|RFHIC|케이엠더블유|인텔리안테크"),
    ("200", "해운", "HMM|팬오션"),
    ("201", "항공", "대한항공|아시아나항공|제주항공"),
    ("210", "철강/비철금속", "POSCO홀딩스|현대제철|고려아연"),
    ("220", "음식료", "CJ제일제당|오리온|농심|삼양식품|오뚜기|롯데칠성|하이트진로|KT&G|매일유업"),
    ("230", "건설", "현대건설|GS건설|DL이앤씨|대우건설|HDC현대산업개발|삼성E&A"),
    ("240", "지주회사", "LG|SK|HD현대|LS|한화|두산|롯데지주|CJ|GS"),
    ("250", "백화점/면세점", "호텔신라|현대백화점|이마트|신세계|롯데쇼핑|BGF리테일|GS리테일"),
    ("260", "카지노", "강원랜드|GKL"),
    ("270", "정유/석유화학", "SK이노베이션|S-Oil|LG화학|롯데케미칼|금호석유화학|한화솔루션"),
)

VENUES: dict[str, str] = {"1": KRX, "2": NXT, "3": ALL}


@dataclass(frozen=True, slots=True)
class Theme:
    code: str
    name: str
    members: tuple[Listing, ...]


def _resolve(names: tuple[str, ...]) -> tuple[Listing, ...]:
    by_name = {x.name: x for x in LISTINGS}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ValueError(f"theme members not listed: {missing}")
    return tuple(by_name[n] for n in names)


THEMES: tuple[Theme, ...] = tuple(
    Theme(code, name, _resolve(tuple(names.split("|")))) for code, name, names in THEME_DATA
)


def _period_return(req: TrRequest, q: Quote, days: int) -> float:
    """Return from the close ``days`` trading days before the quote's day to the quote's price, in %."""
    base_day: date = q.day
    for _ in range(days):
        base_day = req.market.calendar.previous_trading_day(base_day)
    bars = req.market.daily_bars(q.listing.code, req.now, base_day=base_day, count=1)
    return change_rate(q.price, bars[0].close) if bars else 0.0


def _days(req: TrRequest) -> int:
    text = str(req.body.get("date_tp", "") or "").strip()
    return int(text) if text else 1


def _sign(rate: float) -> str:
    return "2" if rate > 0 else "5" if rate < 0 else "3"


def _theme_row(req: TrRequest, theme: Theme, days: int) -> dict[str, Any]:
    quotes = [req.market.quote(m.code, req.now) for m in theme.members]
    rates = [q.change_rate for q in quotes]
    flu_rt = sum(rates) / len(rates)
    main = max(quotes, key=lambda q: (q.listing.shares * q.price, q.listing.code))
    return {
        "thema_grp_cd": theme.code, "thema_nm": theme.name, "stk_num": len(quotes), "flu_sig": _sign(flu_rt),
        "flu_rt": flu_rt, "rising_stk_num": sum(r > 0 for r in rates), "fall_stk_num": sum(r < 0 for r in rates),
        "dt_prft_rt": sum(_period_return(req, q, days) for q in quotes) / len(quotes), "main_stk": main.listing.name,
    }  # fmt: skip


def ka90001(req: TrRequest) -> Answer:
    """테마그룹별요청: the themes (all, by name or holding a stock) sorted by period return or change rate."""
    body = req.body
    themes = list(THEMES)
    if body["qry_tp"] == "1" and (name := str(body.get("thema_nm", "") or "").strip()):
        themes = [t for t in themes if name in t.name]
    if body["qry_tp"] == "2" and (code := str(body.get("stk_cd", "") or "").strip()):
        themes = [t for t in themes if any(m.code == code[:6] for m in t.members)]
    days = _days(req)
    rows = [_theme_row(req, t, days) for t in themes]
    key = "dt_prft_rt" if body["flu_pl_amt_tp"] in ("1", "2") else "flu_rt"
    descending = body["flu_pl_amt_tp"] in ("1", "3")
    rows.sort(key=lambda r: (-r[key] if descending else r[key], r["thema_grp_cd"]))
    return Answer(rows=rows)


def ka90002(req: TrRequest) -> Answer:
    """테마구성종목요청: a theme's members with quotes, best bid/ask and period return; an unknown code has none."""
    theme = next((t for t in THEMES if t.code == req.body["thema_grp_cd"].lstrip("0").rjust(3, "0")), None)
    if theme is None:
        return Answer()
    suffix = VENUES[req.body["stex_tp"]]
    days = _days(req)
    rows: list[Values] = []
    for member in theme.members:
        q = req.market.quote(member.code, req.now)
        seen = venue_quote(q, suffix)
        book = venue_book(req.market.order_book(member.code, req.now), member, suffix)
        (ask, ask_qty), (bid, bid_qty) = book.asks[0], book.bids[0]
        rows.append({
            "stk_cd": member.code, "stk_nm": member.name, "cur_prc": (q.price, q.prev_close),
            "flu_sig": sign_code(q.price, q.prev_close, q.lower, q.upper), "pred_pre": q.change,
            "flu_rt": q.change_rate, "acc_trde_qty": seen.volume, "sel_bid": (ask, q.prev_close) if ask else 0,
            "sel_req": ask_qty, "buy_bid": (bid, q.prev_close) if bid else 0, "buy_req": bid_qty,
            "dt_prft_rt_n": _period_return(req, q, days),
        })  # fmt: skip
    top = {
        "flu_rt": sum(r["flu_rt"] for r in rows) / len(rows),
        "dt_prft_rt": sum(r["dt_prft_rt_n"] for r in rows) / len(rows),
    }
    return Answer(top, rows)


GENERATORS: dict[str, Generator] = {"ka90001": ka90001, "ka90002": ka90002}
