"""Watchlist groups saved in the HTS (관심종목): ka01300 lists the groups, ka01301 one group's stocks.

A real account's groups are whatever its owner saved; the fake gives every app key its own
fixed set, drawn from the seed and the key: group ``000`` "관심" first, then two to four
themed groups, each holding listed codes (an "ETF" group holds ETFs). Both TRs answer
with Kiwoom's terse field names and the legacy ``rtcd`` flag ("S") next to the usual
envelope; a group id the key does not have lists no stocks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..listings import LISTINGS, Listing, Market
from ..tr_types import TrRequest
from .base import Answer, Generator

THEMES: tuple[str, ...] = ("반도체", "2차전지", "자동차", "배당주", "ETF", "바이오", "IT 대형주", "금융")
BOOKMARK_COLOURS: tuple[str, ...] = ("red", "blue", "green")


@dataclass(frozen=True, slots=True)
class Group:
    code: str
    name: str
    members: tuple[Listing, ...]


def groups(seed: int, appkey: str) -> list[Group]:
    """The watchlist groups of ``appkey``: the same ones on every call."""
    rng = random.Random(f"{seed}:{appkey}:watchlist")
    names = ["관심", *rng.sample(THEMES, rng.randint(2, 4))]
    etfs = [x for x in LISTINGS if x.market is Market.ETF]
    equities = [x for x in LISTINGS if not x.is_etp]
    found: list[Group] = []
    for number, name in enumerate(names):
        pool = etfs if name == "ETF" else equities
        members = rng.sample(pool, min(len(pool), rng.randint(4, 12)))
        found.append(Group(f"{number:03d}", name, tuple(members)))
    return found


def ka01300(req: TrRequest) -> Answer:
    """관심종목 그룹 리스트: the key's groups, code and name."""
    rows = [{"gcod": g.code, "name": g.name} for g in groups(req.market.seed, req.appkey)]
    return Answer({"rtcd": "S"}, rows)


def ka01301(req: TrRequest) -> Answer:
    """관심종목 그룹 상세: the codes in one group, with their bookmark flags."""
    wanted = str(req.body["arn_grp_id"]).strip()
    group = next((g for g in groups(req.market.seed, req.appkey) if g.code == wanted.zfill(3)), None)
    rows = []
    for member in group.members if group else ():
        rng = random.Random(f"{req.market.seed}:{req.appkey}:{wanted}:{member.code}:bookmark")
        marked = rng.random() < 0.2
        rows.append(
            {
                "cod2": member.code,
                "bgb": "1" if marked else "0",
                "bgb_clr": rng.choice(BOOKMARK_COLOURS) if marked else "",
            }
        )
    return Answer({"rtcd": "S"}, rows)


GENERATORS: dict[str, Generator] = {"ka01300": ka01300, "ka01301": ka01301}
