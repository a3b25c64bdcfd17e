"""What each tool's ``data`` holds, field by field, with units: the models behind the output schemas.

An assistant reads every result literally and learns what a field means only from the
output schema, so each field the client emits is declared here with its type and unit
(KRW, %, shares, seconds, ISO 8601 in Korea time), and every result carries the same
provenance fields (:class:`Provenance`). The models only describe: results stay the plain
dicts :mod:`kiwoom.operations.results` builds; ``tests/kiwoom/mcp/test_output_schemas.py``
checks that every key of real results (fresh, cached, stale, sample) is declared here.

Unknown keys stay allowed (``additionalProperties``), so a client holding an older schema
keeps validating results that gained a field. Fields absent from some results (sample data
carries fewer) are optional; figures Kiwoom left blank are ``null``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kiwoom.mcp.envelope import output_schema

Source = Literal["live", "cache", "stale", "sample", "simulated", "calendar"]

SOURCE_TEXT = (
    "Where the data came from. live: answered by Kiwoom for this call. "
    "cache: an earlier answer still within its freshness TTL (age in cache_age_s); as real as the answer it was. "
    "stale: Kiwoom failed, so an older cached answer past its TTL (cache_age_s, fallback_reason); say it is old. "
    "sample: Kiwoom failed and nothing was cached: a placeholder (placeholder: true) with no real figures, "
    "NOT a quote. simulated: answered by the sandbox or a fake on a URL: a synthetic market, NOT real prices. "
    "calendar: computed from the KRX calendar and the clock, nothing asked of Kiwoom (get_market_status)."
)
KRW = "KRW (Korean won)"
ISO_KST = "ISO 8601 date-time in Korea time (+09:00)"


class Schema(BaseModel):
    """Base of the data models: extra keys allowed, for forward compatibility."""

    model_config = ConfigDict(extra="allow")


class Provenance(Schema):
    """Where and when a result was made: fields every tool's data carries (some only in some cases)."""

    source: Source = Field(description=SOURCE_TEXT)
    simulated: bool | None = Field(
        None, description="True when the figures come from a synthetic market (sandbox or fake)"
    )
    environment: str | None = Field(
        None,
        description="Where requests go: sandbox (embedded fake market), custom (KIWOOM_BASE_URL), "
        "mock (Kiwoom 모의투자) or real (Kiwoom production)",
    )
    timestamp: str | None = Field(
        None, description=f"When the data was fetched, {ISO_KST}; cached and stale data keep their fetch time"
    )
    attempts: int | None = Field(
        None, description="Requests sent to Kiwoom for this call, retries included (0: answered from cache)"
    )
    latency_ms: float | None = Field(None, description="Time this call took in the client, in milliseconds")
    cache_age_s: float | None = Field(
        None, description="Age of the cached answer, in seconds (source cache or stale only)"
    )
    fallback_reason: str | None = Field(
        None, description="Why Kiwoom's answer could not be used (source stale or sample only)"
    )
    note: str | None = Field(None, description="Korean note on sample data, e.g. 샘플 데이터 (API 호출 실패)")
    placeholder: bool | None = Field(
        None, description="True on sample data: no figure in it is real, do not quote it (absent otherwise)"
    )
    resolved_from: str | None = Field(
        None,
        description="The stock name given instead of a code, resolved to stock_code through the stock "
        "listing (absent when a code was given)",
    )


class QuoteFields(Schema):
    """One stock's quote (ka10001 or a ka10095 row)."""

    stock_code: str = Field(description="KRX stock code as requested, e.g. 005930 (with _NX/_AL if given)")
    name: str | None = Field(None, description="Korean stock name, e.g. 삼성전자")
    price: int | None = Field(None, description=f"Current (last traded) price, {KRW}")
    change: int | None = Field(None, description=f"Change from the previous close, {KRW}, signed")
    change_rate: float | None = Field(None, description="Change from the previous close, in % (signed, -1.5 = -1.5%)")
    sign: Literal["upper_limit", "up", "unchanged", "lower_limit", "down"] | None = Field(
        None, description="Direction against the previous close; upper_limit/lower_limit: at the daily price limit"
    )
    volume: int | None = Field(None, description="Traded volume today, in shares")
    open: int | None = Field(None, description=f"Today's opening price, {KRW}")
    high: int | None = Field(None, description=f"Today's high, {KRW}")
    low: int | None = Field(None, description=f"Today's low, {KRW}")
    previous_close: int | None = Field(None, description=f"Previous trading day's close (base price), {KRW}")
    upper_limit: int | None = Field(None, description=f"Today's upper price limit (+30% of the base), {KRW}")
    lower_limit: int | None = Field(None, description=f"Today's lower price limit (-30% of the base), {KRW}")


class StockPrice(QuoteFields, Provenance):
    """get_stock_price: one quote."""


class BatchQuote(QuoteFields):
    """One quote of get_stock_prices, with where this quote came from (entries may differ)."""

    source: Source | None = Field(None, description=SOURCE_TEXT)
    timestamp: str | None = Field(None, description=f"When this quote was fetched, {ISO_KST}")
    cache_age_s: float | None = Field(None, description="Age of this cached quote, in seconds (cache or stale)")
    fallback_reason: str | None = Field(None, description="Why this quote is stale (source stale only)")
    placeholder: bool | None = Field(None, description="True on a sample quote: no figure in it is real")
    resolved_from: str | None = Field(
        None, description="The stock name given for this entry, resolved to stock_code (absent for codes)"
    )


class Unavailable(Schema):
    """A code get_stock_prices could not quote, and why."""

    stock_code: str = Field(description="The code as requested")
    error: str = Field(description="Why no quote could be had (Korean, Kiwoom's error or the client's)")


class StockPrices(Provenance):
    """get_stock_prices: quotes of known codes, and the codes Kiwoom did not know or could not quote.

    source is the least fresh of the entries' sources (stale > cache > live)."""

    prices: list[BatchQuote] = Field(description="Quotes in the order asked, one per known code")
    not_found: list[str] = Field(description="Codes Kiwoom knows no stock for (no quote for them)")
    unavailable: list[Unavailable] = Field(
        default_factory=list,
        description="Codes with neither a live nor a stale quote because Kiwoom failed (no quote for them)",
    )
    count: int = Field(description="Number of quotes in prices")


class StockInfo(Provenance):
    """get_stock_info: identity and fundamentals."""

    stock_code: str = Field(description="KRX stock code as requested")
    name: str | None = Field(None, description="Korean stock name")
    market: str | None = Field(None, description="KOSPI, KOSDAQ, ETF or ETN (from the ka10099 listing)")
    sector: str | None = Field(None, description="Sector name in Korean (업종), from the listing")
    price: int | None = Field(None, description=f"Current price, {KRW}")
    settlement_month: str | None = Field(None, description="Fiscal year-end month, e.g. 12")
    face_value: int | None = Field(None, description=f"Face (par) value per share, {KRW}")
    market_cap_krw: int | None = Field(None, description=f"Market capitalisation, {KRW}")
    listed_shares: int | None = Field(None, description="Listed shares, in shares")
    per: float | None = Field(None, description="Price/earnings ratio, in times")
    eps: int | None = Field(None, description=f"Earnings per share, {KRW}")
    roe: float | None = Field(None, description="Return on equity, in %")
    pbr: float | None = Field(None, description="Price/book ratio, in times")
    bps: int | None = Field(None, description=f"Book value per share, {KRW}")
    foreign_ratio: float | None = Field(None, description="Share of the foreign ownership limit used, in %")
    high_250d: int | None = Field(None, description=f"Highest price of the last 250 trading days, {KRW}")
    low_250d: int | None = Field(None, description=f"Lowest price of the last 250 trading days, {KRW}")
    year_high: int | None = Field(None, description=f"Highest price this year, {KRW}")
    year_low: int | None = Field(None, description=f"Lowest price this year, {KRW}")


class Bar(Schema):
    """One OHLCV bar: date for daily bars, time for minute bars."""

    date: str | None = Field(None, description="Trading day, ISO 8601 date YYYY-MM-DD (daily bars only)")
    time: str | None = Field(None, description=f"Bar time, {ISO_KST} (minute bars only)")
    open: int | None = Field(None, description=f"Opening price, {KRW}")
    high: int | None = Field(None, description=f"High, {KRW}")
    low: int | None = Field(None, description=f"Low, {KRW}")
    close: int | None = Field(None, description=f"Closing (last) price, {KRW}")
    volume: int | None = Field(None, description="Traded volume in the bar, in shares")
    change: int | None = Field(None, description=f"Change from the previous close, {KRW}, signed (daily bars only)")


class StockHistory(Provenance):
    """get_stock_history: bars oldest first."""

    stock_code: str = Field(description="KRX stock code as requested")
    interval: str | None = Field(None, description="Bar size: day, or minutes 1m ... 60m")
    days: int | None = Field(None, description="Trading days the bars cover (may be fewer than requested)")
    days_requested: int | None = Field(None, description="Trading days asked for")
    count: int = Field(description="Number of bars")
    pages: int | None = Field(None, description="Continuation pages read from Kiwoom")
    bars: list[Bar] = Field(description="OHLCV bars, oldest first (empty on sample data)")


class Level(Schema):
    """One order-book price level."""

    level: int = Field(description="1 (best price) to 10")
    price: int = Field(description=f"Price of the level, {KRW}")
    quantity: int = Field(description="Quantity waiting at the level, in shares")


class Orderbook(Provenance):
    """get_orderbook: ten ask and ten bid levels."""

    stock_code: str = Field(description="KRX stock code as requested")
    as_of: str | None = Field(None, description=f"Time of the order-book snapshot, {ISO_KST}")
    asks: list[Level] = Field(description="Sell orders, best (lowest) price first")
    bids: list[Level] = Field(description="Buy orders, best (highest) price first")
    total_ask_quantity: int | None = Field(None, description="Total quantity on the ask side, in shares")
    total_bid_quantity: int | None = Field(None, description="Total quantity on the bid side, in shares")


class ListingMatch(Schema):
    """One search_stock match from the ka10099 listing."""

    stock_code: str = Field(description="KRX stock code, e.g. 005930")
    name: str = Field(description="Korean name, e.g. 삼성전자")
    english_name: str | None = Field(None, description="Common English name, where known")
    market: str | None = Field(None, description="KOSPI, KOSDAQ, ETF or ETN")
    sector: str | None = Field(None, description="Sector name in Korean (업종)")
    previous_close: int | None = Field(
        None, description=f"Previous trading day's close (ka10099 lastPrice), {KRW}; not a current price"
    )
    listed_shares: int | None = Field(None, description="Listed shares, in shares")


class SearchResults(Provenance):
    """search_stock: matches best first (exact code or name, then prefixes, then substrings)."""

    query: str | None = Field(None, description="The query as searched")
    count: int = Field(description="Number of matches returned (at most 20)")
    results: list[ListingMatch] = Field(description="Matches, best first")


class Holding(Schema):
    """One holding of the account (kt00018)."""

    stock_code: str = Field(description="KRX stock code")
    name: str | None = Field(None, description="Korean stock name")
    quantity: int | None = Field(None, description="Shares held, in shares")
    tradable_quantity: int | None = Field(None, description="Shares that can be sold now, in shares")
    average_price: int | None = Field(None, description=f"Average purchase price per share, {KRW}")
    current_price: int | None = Field(None, description=f"Current price, {KRW}")
    purchase_amount: int | None = Field(None, description=f"Amount paid, {KRW}")
    evaluation_amount: int | None = Field(None, description=f"Value at the current price, {KRW}")
    profit_loss: int | None = Field(None, description=f"Unrealised profit or loss, {KRW}, signed")
    profit_rate: float | None = Field(None, description="Unrealised profit or loss, in %")


class AccountInfo(Provenance):
    """get_account_info: balances and holdings; the account number is masked."""

    account_no: str | None = Field(None, description="Account number, masked (e.g. 5012****11)")
    balance: int | None = Field(None, description=f"Cash deposit (예수금), {KRW}")
    d2_balance: int | None = Field(None, description=f"Cash deposit after settlement on D+2, {KRW}")
    orderable_amount: int | None = Field(None, description=f"Cash available to order with, {KRW}")
    total_value: int | None = Field(None, description=f"Estimated total assets (cash and holdings), {KRW}")
    total_evaluation: int | None = Field(None, description=f"Value of the holdings, {KRW}")
    total_purchase: int | None = Field(None, description=f"Amount paid for the holdings, {KRW}")
    profit_loss: int | None = Field(None, description=f"Unrealised profit or loss of the holdings, {KRW}, signed")
    profit_rate: float | None = Field(None, description="Unrealised profit or loss of the holdings, in %")
    holdings: list[Holding] = Field(description="Stocks held (empty on sample data)")


class MarketOperation(Schema):
    """The market phase Kiwoom last announced on the real-time stream (0s, 장시작시간)."""

    operation_code: str | None = Field(None, description="Kiwoom's 장운영구분 code, e.g. 3 (KRX regular session start)")
    operation: str | None = Field(None, description="What the code means, in Korean, e.g. KRX 정규장 시작")
    announced_at: str | None = Field(None, description=f"When Kiwoom announced it, {ISO_KST}")
    time_to_open: str | None = Field(None, description="Kiwoom's 장시작예상잔여시간 as sent (HHMMSS), if any")


class MarketStatus(Provenance):
    """get_market_status: the KRX session now, from the calendar (source calendar), or from the phase
    Kiwoom announced on the real-time stream today while the stream is up (source stream)."""

    source: Literal["calendar", "stream"] = Field(  # type: ignore[assignment]
        description="calendar: computed from the KRX calendar and the clock. stream: the session comes from "
        "the phase Kiwoom announced today on the real-time stream (0s); operation has the announcement, "
        "calendar_session what the calendar says (simulated true in the sandbox)"
    )
    operation: MarketOperation | None = Field(
        None, description="The stream's last announcement today (only while the real-time stream is up)"
    )
    calendar_session: str | None = Field(
        None, description="The session the calendar gives for now, beside the stream's (source stream only)"
    )

    market_open: bool = Field(description="True while any KRX session trades (pre-market to after-hours)")
    status: Literal["OPEN", "CLOSED"] = Field(description="OPEN or CLOSED")
    session: str = Field(
        description="Session now: closed, pre_market_close_price, opening_auction, regular, closing_auction, "
        "after_hours_close_price or after_hours_single_price"
    )
    session_name: str = Field(description="The session's Korean name")
    reason: str | None = Field(
        None,
        description="In Korean: why the market is closed (e.g. 주말 휴장, 장 종료), or the session's name while open",
    )
    trading_day: bool = Field(description="True when today is a KRX trading day")
    current_time: str = Field(description=f"The time the status is for, {ISO_KST}")
    next_open: str = Field(
        description=f"When the first session (08:30) of the next trading day starts (today if before it), {ISO_KST}"
    )
    market_type: str = Field(description="The market the status is for: KRX")
    basis: str | None = Field(None, description="What the status was computed from, in Korean")


class CatalogAnswer(Provenance):
    """A catalog TR's answer, decoded: its top-level fields and the rows of its list."""

    api_id: str = Field(description="The Kiwoom TR that answered, e.g. ka10027")
    name: str = Field(description="The TR's Korean name, e.g. 전일대비등락률상위요청")
    fields: dict[str, Any] = Field(
        description="Top-level fields by Kiwoom's field name, decoded: prices as positive KRW, amounts as "
        "integers, rates as % floats, dates YYYY-MM-DD, times HH:MM:SS; null when Kiwoom left one blank"
    )
    rows: list[dict[str, Any]] = Field(description="The rows of the TR's list, decoded the same way")
    count: int = Field(description="Number of rows")
    pages: int = Field(description="Continuation pages read")


#: The tools of the toolsets beyond the learning guide's: all answer a catalog TR.
CATALOG_TOOLS = (
    "get_stock_chart",
    "get_rankings",
    "get_investor_flows",
    "get_program_trading",
    "get_sector_index",
    "get_etf_info",
    "get_themes",
    "get_theme_stocks",
    "query_tr",
)

#: Each tool's data model, by tool name.
DATA_MODELS: dict[str, type[Provenance]] = {
    **dict.fromkeys(CATALOG_TOOLS, CatalogAnswer),
    "get_stock_price": StockPrice,
    "get_stock_prices": StockPrices,
    "get_stock_info": StockInfo,
    "get_stock_history": StockHistory,
    "get_orderbook": Orderbook,
    "search_stock": SearchResults,
    "get_account_info": AccountInfo,
    "get_market_status": MarketStatus,
}

#: Each tool's published output schema: the envelope with its typed data.
OUTPUT_SCHEMAS: dict[str, dict[str, Any]] = {tool: output_schema(model) for tool, model in DATA_MODELS.items()}
