"""``kiwoom-demo``: connect (the sandbox when no keys are set) and print live quotes.

A quick way to see the client work end to end before wiring it into an assistant.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Any
from urllib.parse import urlsplit

from kiwoom.client import KiwoomClient
from kiwoom.config import Mode, Settings
from kiwoom.errors import KiwoomError
from kiwoom.settings_errors import load_or_exit
from krx.textwidth import pack, table, truncate

DEFAULT_CODES = ("005930", "000660", "035420", "069500")
#: Terminal columns the demo's lines stay within (Korean names count two columns a syllable).
WIDTH = 100
NAME_COLUMNS = 24


def quote_table(prices: list[dict[str, Any]], not_found: list[str]) -> list[str]:
    """The quotes as lines padded by display width, so Korean and English names stay in their columns."""

    def number(value: Any, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    rows = [
        [
            q["stock_code"],
            truncate(q["name"] or "", NAME_COLUMNS),
            number(q["price"], ","),
            number(q["change"], "+,"),
            number(q["change_rate"], "+.2f") + ("%" if q["change_rate"] is not None else ""),
            number(q["volume"], ","),
        ]
        for q in prices
    ]
    rows += [[code, "(종목 없음)", "", "", "", ""] for code in not_found]
    return table(["종목코드", "종목명", "현재가", "대비", "등락률", "거래량"], rows, align="<<>>>>")


def connecting_line(settings: Settings) -> str:
    """What the demo waits for, and how long at most a request may take, said before it waits."""
    mode, url = settings.mode(), urlsplit(settings.upstream_url())
    host = f"{url.hostname}:{url.port}" if url.port else str(url.hostname)  # never credentials in a URL
    host = "내장 샌드박스" if mode is Mode.SANDBOX else host
    limits = f"연결 {settings.connect_timeout_s:g}초, 응답 {settings.timeout:g}초 제한"
    return f"키움 API 연결 중 ({mode.value} 모드, {host}, {limits})…"


async def run_demo(codes: list[str], settings: Settings | None = None) -> int:
    """Print market status, quotes and a short history; return a process exit code."""
    client = KiwoomClient(settings)
    print(connecting_line(client.settings), flush=True)  # before the token: a hanging Kiwoom takes seconds
    async with client:
        if not client.is_connected:
            print(f"연결 실패 [{client.settings.explain_mode()}]: {client.last_error}", file=sys.stderr)
            return 1
        label = "시뮬레이션 (내장 샌드박스)" if client.simulated else "실제 데이터"
        print(f"키움 REST API 연결: {client.mode.value} 모드, {label}")
        status = await client.get_market_status()
        print(f"시장 상태: {status['status']} ({status['reason']}), 다음 개장 {status['next_open']}")
        batch = await client.get_stock_prices(codes)
        print("\n".join(quote_table(batch["prices"], batch["not_found"])))
        history = await client.get_stock_history(codes[0], days=5)
        closes = [f"{b['date']} {b['close']:,}" for b in history["bars"]]
        print("\n".join(pack(closes, WIDTH, first=f"{codes[0]} 최근 5일 종가: ")))
        print(f"출처: {batch['source']} ({batch['environment']}), {batch['timestamp']}")
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="kiwoom-demo", description=__doc__)
    parser.add_argument("codes", nargs="*", default=list(DEFAULT_CODES), help="stock codes, e.g. 005930")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_or_exit(Settings, "kiwoom-demo")
    try:
        code = asyncio.run(run_demo(args.codes, settings))
    except KiwoomError as exc:
        print(f"오류: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)


if __name__ == "__main__":
    main()
