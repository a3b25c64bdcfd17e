"""The seed's tool result envelope, as a typed model with an output schema.

Success: ``{"success": true, "data": {...}, "message": "005930 종목 가격 조회 완료"}``;
failure: ``{"success": false, "error": "...", "message": "005930 종목 가격 조회 실패"}``.
The message says plainly when data is not live, because an assistant repeats messages to
people and a simulated or sample price must never pass for a market quote; a live tool's
message also says when it answered from the real-time stream, or why it fell back to REST.

Each tool publishes the envelope with its own typed ``data`` (:func:`output_schema`, models
in :mod:`kiwoom.mcp.schemas`), so a client learns every field's type and unit from
``tools/list``; results are still built here from the plain dicts the client returns.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, create_model
from pydantic.json_schema import GenerateJsonSchema

SOURCE_NOTES: dict[str, str] = {
    "live": "",
    "cache": " (캐시된 데이터)",
    "stale": " (API 호출 실패: 오래된 캐시 데이터)",
    "sample": " (API 호출 실패: 샘플 데이터이며 실제 시세가 아닙니다)",
    "simulated": " (시뮬레이션 데이터: 실제 시세가 아닙니다)",
    "calendar": " (KRX 거래 달력과 현재 시각으로 계산)",
    "stream": " (실시간 스트림)",  # completed in source_note: the tick's age, and whether it is simulated
}
#: Why a live tool answered from REST (``data.stream_fallback``), as the message says it.
STREAM_FALLBACK_NOTES: dict[str, str] = {
    "stream_disabled": " [실시간 스트림 꺼짐: REST 조회]",
    "stream_down": " [실시간 스트림 끊김: REST 조회]",
    "stream_stale": " [실시간 스트림 응답 없음: REST 조회]",
    "no_tick": " [실시간 체결/호가 없음: REST 조회]",
}


class ToolEnvelope(BaseModel):
    """What every tool returns, as structured content."""

    success: bool = Field(description="True when the call produced data")
    data: dict[str, Any] | None = Field(
        None,
        description="The result; data.source tells where it came from "
        "(live, cache, stale, sample, simulated, calendar, stream)",
    )
    error: str | None = Field(None, description="Why the call failed (only when success is false)")
    message: str = Field(description="A one-line summary for people, in Korean")


def source_note(data: dict[str, Any]) -> str:
    """The message suffix for ``data['source']`` (and for cached simulated data)."""
    source = str(data.get("source", "live"))
    note = SOURCE_NOTES.get(source, f" (출처: {source})")
    if source == "cache" and data.get("simulated"):
        note = " (캐시된 시뮬레이션 데이터: 실제 시세가 아닙니다)"
    if source == "stream":
        age = data.get("age_s")
        when = f" {age:.1f}초 전 수신" if isinstance(age, int | float) else ""
        # A sandbox tick is as synthetic as a sandbox REST quote: the message must say so.
        real = ": 시뮬레이션 데이터이며 실제 시세가 아닙니다" if data.get("simulated") else ""
        note = f" (실시간 스트림{when}{real})"
    if data.get("tick_origin") == "backfill":
        note += " [실시간 스트림 재연결 후 REST 로 보충한 시세]"
    return note + STREAM_FALLBACK_NOTES.get(str(data.get("stream_fallback")), "")


class _WithoutFieldTitles(GenerateJsonSchema):
    """Leaves out pydantic's per-field titles ("Price" for ``price``): noise in every tools/list."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def output_schema(data_model: type[BaseModel]) -> dict[str, Any]:
    """The envelope's JSON schema with ``data`` typed by ``data_model`` (null on failure, when error is set)."""
    nullable: Any = data_model | None  # a type built at run time, which mypy cannot check as an annotation
    typed: type[BaseModel] = create_model(
        f"{data_model.__name__}Envelope",
        __base__=ToolEnvelope,
        __doc__=f"{ToolEnvelope.__doc__} data is set on success, error on failure.",
        data=(nullable, Field(None, description=ToolEnvelope.model_fields["data"].description)),
    )
    return typed.model_json_schema(schema_generator=_WithoutFieldTitles)


def success(data: dict[str, Any], label: str) -> ToolEnvelope:
    return ToolEnvelope(success=True, data=data, message=f"{label} 완료{source_note(data)}{missing_note(data)}")


def missing_note(data: dict[str, Any]) -> str:
    """The message suffix for a watchlist with codes that got no quote (unknown, or Kiwoom failed)."""
    unknown, unavailable = len(data.get("not_found") or []), len(data.get("unavailable") or [])
    parts = [f"종목 없음 {unknown}개"] * bool(unknown) + [f"조회 불가 {unavailable}개"] * bool(unavailable)
    return f" ({', '.join(parts)})" if parts else ""


def failure(error: str, message: str) -> ToolEnvelope:
    return ToolEnvelope(success=False, error=error, message=message)
