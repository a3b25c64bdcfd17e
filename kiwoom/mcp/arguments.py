"""Tool arguments: the rules the input schema publishes, and the envelope for calls that break them.

The tools take their arguments as ``Any`` and leave every rule to
:mod:`kiwoom.operations.validation`, so each rule has one home and one Korean message that
names the argument and the rule, and a rejected call costs no upstream request. Were the
types strict in the signature, pydantic would reject a ``null`` or a ``true`` first, and
FastMCP would answer with pydantic's English text outside the envelope.

The schema ``tools/list`` publishes still states every rule (pattern, bounds, enum, item
counts, lengths) for clients that check before sending; it is built here from
validation's constants, so the schema and the checks cannot drift apart. What FastMCP
checks itself, the argument *names* (missing, unknown), is turned into the same
envelope by :class:`ArgumentErrors`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, Any

from fastmcp.exceptions import ValidationError
from fastmcp.server.middleware import CallNext, Middleware, MiddlewareContext
from fastmcp.tools import ToolResult
from mcp import types as mt
from pydantic import ValidationError as PydanticValidationError
from pydantic import WithJsonSchema

from kiwoom.errors import InvalidInputError
from kiwoom.operations import validation
from kiwoom.operations.validation import echo

#: A code, or a stock name that resolves when exactly one listing matches it (``kiwoom.operations.names``):
#: both forms are published, so a client that checks arguments before sending still lets a name through.
STOCK_CODE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "anyOf": [
        {"pattern": validation.STOCK_CODE_PATTERN, "description": "a KRX code such as 005930"},
        {
            "minLength": 1,
            "maxLength": validation.MAX_QUERY_LENGTH,
            "description": "a stock name such as 삼성전자 or Samsung Electronics (exactly one listing must match)",
        },
    ],
}
_CODE_TEXT = (
    "KRX stock code: 6 characters such as 005930, optional _NX (Nextrade) or _AL suffix; "
    "or a stock name that matches exactly one listing (else the error lists candidates: use search_stock)"
)

# WithJsonSchema replaces the whole property schema, description included.
StockCode = Annotated[Any, WithJsonSchema({**STOCK_CODE_SCHEMA, "description": _CODE_TEXT})]
StockCodes = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "array",
            "items": STOCK_CODE_SCHEMA,
            "minItems": 1,
            "maxItems": validation.MAX_BATCH_CODES,
            "description": f'1 to {validation.MAX_BATCH_CODES} KRX stock codes, e.g. ["005930", "000660"]',
        }
    ),
]
Days = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "integer",
            "minimum": 1,
            "maximum": validation.MAX_DAILY_DAYS,
            "description": f"Trading days of history: 1-{validation.MAX_DAILY_DAYS} for day, "
            f"1-{validation.MAX_MINUTE_DAYS} for minute bars",
        }
    ),
]
Interval = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(validation.INTERVALS),
            "description": "Bar size: day, or minutes 1m, 3m, 5m, 10m, 15m, 30m, 45m, 60m",
        }
    ),
]
Query = Annotated[
    Any,
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": validation.MAX_QUERY_LENGTH,
            "description": "Part of a Korean or English name, or of a code: 삼성, Samsung",
        }
    ),
]

#: Each tool's message subject, and the argument it names the subject by.
_SUBJECTS: dict[str, tuple[str | None, str]] = {
    "get_stock_price": ("stock_code", "종목 가격 조회"),
    "get_stock_prices": ("stock_codes", "종목 가격 조회"),
    "get_stock_info": ("stock_code", "종목 정보 조회"),
    "get_stock_history": ("stock_code", "종목 시세 이력 조회"),
    "get_orderbook": ("stock_code", "호가 조회"),
    "get_live_quote": ("stock_code", "실시간 시세 조회"),
    "get_live_orderbook": ("stock_code", "실시간 호가 조회"),
    "search_stock": ("query", "종목 검색"),
    "get_account_info": (None, "계좌 정보 조회"),
    "get_market_status": (None, "시장 상태 조회"),
    "get_stock_chart": ("stock_code", "차트 조회"),
    "get_rankings": ("kind", "순위 조회"),
    "get_investor_flows": ("stock_code", "투자자별 매매 조회"),
    "get_program_trading": (None, "프로그램 매매 조회"),
    "get_sector_index": ("sector", "업종 지수 조회"),
    "get_etf_info": ("stock_code", "ETF 정보 조회"),
    "get_themes": (None, "테마 그룹 조회"),
    "get_theme_stocks": ("theme", "테마 구성 종목 조회"),
    "query_tr": ("api_id", "TR 조회"),
}


def subject(tool: str, arguments: Mapping[str, Any]) -> str:
    """The start of a call's message (``005930 종목 가격 조회``), echoing at most a few dozen characters."""
    argument, what = _SUBJECTS.get(tool, (None, echo(tool)))
    value = arguments.get(argument) if argument else None
    if tool == "search_stock" and isinstance(value, str):
        return f"'{echo(value)}' {what}"
    if argument == "stock_codes" and isinstance(value, list):
        return f"{len(value)}개 {what}"
    if isinstance(value, str):
        return f"{echo(value)} {what}"
    return what


def rejection(error: PydanticValidationError, allowed: Sequence[str]) -> InvalidInputError:
    """FastMCP's argument-validation failure as the rule it broke, named in Korean.

    With ``Any`` parameters only the argument names can fail here. Unknown names are
    reported once with their count, however many were sent.
    """
    errors = error.errors(include_url=False, include_input=False)
    unknown = [str(e["loc"][0]) for e in errors if e["type"] == "unexpected_keyword_argument" and e["loc"]]
    if unknown:
        accepted = ", ".join(allowed) or "없음"
        return InvalidInputError(
            echo(unknown[0]), f"알 수 없는 인자입니다 (모두 {len(unknown)}개; 받는 인자: {accepted})"
        )
    first = errors[0]
    field = echo(str(first["loc"][0])) if first["loc"] else "arguments"
    if first["type"] in ("missing_argument", "missing"):
        return InvalidInputError(field, "필수 인자입니다")
    return InvalidInputError(field, f"인자 형식이 맞지 않습니다 ({echo(first['type'])})")


Reject = Callable[[str, Mapping[str, Any], InvalidInputError], Awaitable[ToolResult]]


class ArgumentErrors(Middleware):
    """Answers a call FastMCP refused for its arguments with the tools' envelope and ``isError``.

    Without it such a call gets pydantic's English text, no envelope and no structured
    content: the one failure a client could not read like the others.
    """

    def __init__(self, reject: Reject, parameters: Mapping[str, Sequence[str]]) -> None:
        self._reject = reject
        self._parameters = parameters

    async def on_call_tool(
        self,
        context: MiddlewareContext[mt.CallToolRequestParams],
        call_next: CallNext[mt.CallToolRequestParams, ToolResult],
    ) -> ToolResult:
        try:
            return await call_next(context)
        except ValidationError as exc:
            tool = context.message.name
            cause = exc.__cause__
            if tool not in self._parameters or not isinstance(cause, PydanticValidationError):
                raise
            arguments = context.message.arguments or {}
            return await self._reject(tool, arguments, rejection(cause, self._parameters[tool]))
