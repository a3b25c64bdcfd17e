"""Ranking of ``search_stock`` matches over the ka10099 listing.

Exact code or name first, then prefixes, then substrings; Korean names come from the
listing, English names from :mod:`kiwoom.operations.aliases`. Spaces and case are ignored, so
"samsung elec" finds 삼성전자 through "Samsung Electronics".
"""

from __future__ import annotations

from typing import Any

from kiwoom.operations.aliases import ENGLISH_NAMES


def _fold(text: str) -> str:
    return text.casefold().replace(" ", "")


def rank_matches(listing: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """Listing entries matching ``query``, best first, each with its English name if known."""
    needle = _fold(query)
    scored: list[tuple[int, str, dict[str, Any]]] = []
    for entry in listing:
        code = entry["stock_code"]
        english = ENGLISH_NAMES.get(code, "")
        names = [n for n in (_fold(entry["name"]), _fold(english)) if n]
        if code == query or needle in names:
            rank = 0
        elif code.startswith(needle) or any(n.startswith(needle) for n in names):
            rank = 1
        elif any(needle in n for n in names):
            rank = 2
        else:
            continue
        scored.append((rank, code, {**entry, "english_name": english or None}))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [entry for _, _, entry in scored]


def is_exact_name(match: dict[str, Any], query: str) -> bool:
    """Whether ``query`` is a match's Korean or English name, ignoring case and spaces.

    Such a match ranks first in :func:`rank_matches`; name resolution needs to tell it from
    the prefixes ranked beside it ("카카오" is a listing and the start of "카카오게임즈").
    """
    needle = _fold(query)
    return needle in (_fold(match["name"]), _fold(match.get("english_name") or ""))
