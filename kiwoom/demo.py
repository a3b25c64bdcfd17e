"""``kiwoom-demo``: connect (the sandbox when no keys are set) and print live quotes.

A quick way to see the client work end to end before wiring it into an assistant.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from kiwoom.client import KiwoomClient
from kiwoom.config import Settings
from kiwoom.errors import KiwoomError

DEFAULT_CODES = ("005930", "000660", "035420", "069500")


async def run_demo(codes: list[str], settings: Settings | None = None) -> int:
    """Print market status, quotes and a short history; return a process exit code."""
    client = KiwoomClient(settings)
    async with client:
        if not client.is_connected:
            print(f"연결 실패: {client.last_error}", file=sys.stderr)
            return 1
        label = "시뮬레이션 (내장 샌드박스)" if client.simulated else "실제 데이터"
        print(f"키움 REST API 연결: {client.mode.value} 모드, {label}")
        status = await client.get_market_status()
        print(f"시장 상태: {status['status']} ({status['reason']}), 다음 개장 {status['next_open']}")
        batch = await client.get_stock_prices(codes)
        print(f"{'종목코드':<8} {'종목명':<16} {'현재가':>10} {'대비':>8} {'등락률':>7} {'거래량':>12}")
        for q in batch["prices"]:
            print(
                f"{q['stock_code']:<8} {q['name'] or '':<16} {q['price']:>10,} {q['change'] or 0:>+8,} "
                f"{q['change_rate'] or 0:>+6.2f}% {q['volume'] or 0:>12,}"
            )
        for code in batch["not_found"]:
            print(f"{code:<8} (종목 없음)")
        history = await client.get_stock_history(codes[0], days=5)
        closes = ", ".join(f"{b['date']} {b['close']:,}" for b in history["bars"])
        print(f"{codes[0]} 최근 5일 종가: {closes}")
        print(f"출처: {batch['source']} ({batch['environment']}), {batch['timestamp']}")
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="kiwoom-demo", description=__doc__)
    parser.add_argument("codes", nargs="*", default=list(DEFAULT_CODES), help="stock codes, e.g. 005930")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        code = asyncio.run(run_demo(args.codes))
    except KiwoomError as exc:
        print(f"오류: {exc}", file=sys.stderr)
        code = 2
    sys.exit(code)


if __name__ == "__main__":
    main()
