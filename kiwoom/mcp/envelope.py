"""The seed's tool result envelope, as a typed model with an output schema.

Success: ``{"success": true, "data": {...}, "message": "005930 종목 가격 조회 완료"}``;
failure: ``{"success": false, "error": "...", "message": "005930 종목 가격 조회 실패"}``.
The message says plainly when data is not live, because an assistant repeats messages to
people and a simulated or sample price must never pass for a market quote.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

SOURCE_NOTES: dict[str, str] = {
    "live": "",
    "cache": " (캐시된 데이터)",
    "stale": " (API 호출 실패: 오래된 캐시 데이터)",
    "sample": " (API 호출 실패: 샘플 데이터이며 실제 시세가 아닙니다)",
    "simulated": " (시뮬레이션 데이터: 실제 시세가 아닙니다)",
}


class ToolEnvelope(BaseModel):
    """What every tool returns, as structured content."""

    success: bool = Field(description="True when the call produced data")
    data: dict[str, Any] | None = Field(
        None, description="The result; data.source tells where it came from (live, cache, stale, sample, simulated)"
    )
    error: str | None = Field(None, description="Why the call failed (only when success is false)")
    message: str = Field(description="A one-line summary for people, in Korean")


def source_note(data: dict[str, Any]) -> str:
    """The message suffix for ``data['source']`` (and for cached simulated data)."""
    source = str(data.get("source", "live"))
    note = SOURCE_NOTES.get(source, f" (출처: {source})")
    if source == "cache" and data.get("simulated"):
        note = " (캐시된 시뮬레이션 데이터: 실제 시세가 아닙니다)"
    return note


def success(data: dict[str, Any], label: str) -> ToolEnvelope:
    return ToolEnvelope(success=True, data=data, message=f"{label} 완료{source_note(data)}")


def failure(error: str, message: str) -> ToolEnvelope:
    return ToolEnvelope(success=False, error=error, message=message)


OUTPUT_SCHEMA: dict[str, Any] = ToolEnvelope.model_json_schema()
