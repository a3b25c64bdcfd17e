"""Chart bars over continuation pages: daily (ka10081) or minute (ka10080), newest page first.

Kiwoom pages charts from the newest bar back, so the loop stops as soon as the pages hold
enough trading days, and each page goes back to the end of the TR's pacing lane
(:mod:`kiwoom.transport.pacing`): one caller's long history never starves another's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kiwoom.errors import EmptyResponseError
from kiwoom.operations import results
from kiwoom.transport.http import Reply
from kiwoom.transport.tr import TRTransport


async def load_bars(
    tr: TRTransport, code: str, chosen: str, wanted: int, now: datetime
) -> tuple[list[dict[str, Any]], int]:
    """The bars of the last ``wanted`` trading days, oldest first, and how many pages it took."""
    if chosen == "day":
        body = {"stk_cd": code, "base_dt": now.strftime("%Y%m%d"), "upd_stkpc_tp": "1"}
        replies = await tr.pages(
            "ka10081", body, enough=lambda ps: sum(len(results.daily_bars(p.body)) for p in ps) >= wanted
        )
        bars = [bar for p in replies for bar in results.daily_bars(p.body)][:wanted]
    else:
        body = {"stk_cd": code, "tic_scope": chosen.removesuffix("m"), "upd_stkpc_tp": "1"}

        def dates(pages: list[Reply]) -> set[str]:
            return {bar["time"][:10] for p in pages for bar in results.minute_bars(p.body)}

        replies = await tr.pages("ka10080", body, enough=lambda ps: len(dates(ps)) > wanted)
        all_bars = [bar for p in replies for bar in results.minute_bars(p.body)]
        keep = set(sorted({b["time"][:10] for b in all_bars}, reverse=True)[:wanted])
        bars = [b for b in all_bars if b["time"][:10] in keep]
    if not bars:
        raise EmptyResponseError("ka10081" if chosen == "day" else "ka10080", f"{code} 차트 데이터 없음")
    bars.reverse()
    return bars, len(replies)
