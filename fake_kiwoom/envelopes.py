"""Kiwoom error envelopes: ``{"return_code": <category>, "return_msg": "<text>[<code>:<detail>]"}``.

The live server puts a small category in ``return_code`` and the detailed code in
brackets inside ``return_msg``; clients parse the bracket. The Korean texts follow the
messages quoted from live traffic in public Kiwoom clients where one was found.

HTTP statuses, and why:

* 8005 → 200 and 1700 → 429: measured on the live server (protocol notes).
* 1511 → 200: a public client checks ``status != 200`` before reading the body and still
  logged the live 1511 envelope from the body, so it came with HTTP 200. 1901/1902 are the
  same TR-input validation layer and get 200 as well (assumption).
* Other 8xxx (token issue/revoke failures) → 200, like the one measured 8xxx (assumption).
* 1501/1504/1505/1516 → 400, 1513/1514 → 401, 1517 → 400: no public observation found,
  so conventional statuses. 1999 (unexpected error, unknown route) → 500/404/405.

Clients must read the bracket code whatever the status; the statuses live in one table
so a scenario can change them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.responses import JSONResponse

CATEGORY_TEXT: dict[int, str] = {
    1: "잘못된 요청입니다",
    2: "입력 값 오류입니다",
    3: "인증에 실패했습니다",
    5: "허용된 요청 개수를 초과하였습니다",
    9: "시스템 오류입니다",
}


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    category: int
    status: int
    text: str


ERRORS: dict[int, ErrorSpec] = {
    1501: ErrorSpec(1, 400, "API ID가 Null이거나 값이 없습니다"),
    1504: ErrorSpec(1, 400, "해당 URI에서는 지원하는 API ID가 아닙니다"),
    1505: ErrorSpec(1, 400, "해당 API ID는 존재하지 않습니다"),
    1511: ErrorSpec(2, 200, "필수 입력 값에 값이 존재하지 않습니다"),
    1513: ErrorSpec(3, 401, "Http Header에 authorization 필드가 설정되어 있어야 합니다"),
    1514: ErrorSpec(3, 401, "입력된 authorization 필드의 형식이 올바르지 않습니다. 형식=Bearer {token}"),
    1516: ErrorSpec(2, 400, "Token이 정의되어 있지 않습니다"),
    1517: ErrorSpec(2, 400, "입력 값 형식이 올바르지 않습니다"),
    1700: ErrorSpec(5, 429, "허용된 요청 개수를 초과하였습니다"),
    1901: ErrorSpec(2, 200, "시장 코드값이 존재하지 않습니다"),
    1902: ErrorSpec(2, 200, "종목 정보가 없습니다"),
    1999: ErrorSpec(9, 500, "예기치 못한 에러가 발생했습니다"),
    8001: ErrorSpec(3, 200, "App Key 검증에 실패했습니다"),
    8002: ErrorSpec(3, 200, "Secret Key 검증에 실패했습니다"),
    8005: ErrorSpec(3, 200, "Token이 유효하지 않습니다"),
    8011: ErrorSpec(3, 200, "grant_type이 입력되지 않았습니다"),
    8012: ErrorSpec(3, 200, "grant_type이 올바르지 않습니다"),
    8016: ErrorSpec(3, 200, "폐기할 Token이 존재하지 않습니다"),
    8020: ErrorSpec(3, 200, "appkey 또는 secretkey가 입력되지 않았습니다"),
}

OK_MSG = "정상적으로 처리되었습니다"
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"


class KiwoomError(Exception):
    """Raised by handlers; turned into an envelope by the app. ``extra`` is appended to the detail."""

    def __init__(self, code: int, extra: str = "", *, status: int | None = None) -> None:
        spec = ERRORS[code]
        self.code = code
        self.category = spec.category
        self.status = spec.status if status is None else status
        self.detail = f"{spec.text}. {extra}" if extra else spec.text
        super().__init__(f"[{code}:{self.detail}]")

    @property
    def body(self) -> dict[str, object]:
        text = CATEGORY_TEXT[self.category]
        return {"return_code": self.category, "return_msg": f"{text}[{self.code}:{self.detail}]"}


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """JSON with Kiwoom's ``application/json;charset=UTF-8`` and Korean left unescaped."""
    return _KiwoomJSON(body, status_code=status, headers=headers, media_type=JSON_CONTENT_TYPE)


class _KiwoomJSON(JSONResponse):
    def render(self, content: object) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_response(error: KiwoomError, headers: dict[str, str] | None = None) -> JSONResponse:
    return json_response(error.body, error.status, headers)
