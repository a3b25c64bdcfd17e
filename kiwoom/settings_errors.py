"""Bad settings as one Korean line per variable, for the console scripts.

pydantic reports a bad ``KIWOOM_ENV`` as a ~20-line traceback naming the field ``env``,
which is neither the name the user typed nor the rule in their language. The console
scripts (``kiwoom-mcp``, ``kiwoom-demo``, ``kiwoom-lab --set``) build their settings
through :func:`load` and print what it raises, so the user reads
``KIWOOM_ENV='bogus': sandbox, mock, real 중 하나여야 합니다`` and gets exit status 2.

A secret setting (a ``SecretStr`` field: app key, secret key, account number, the MCP
bearer token) is named but its value is never repeated, not even when it is the wrong one.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from collections.abc import Mapping
from typing import Any, NoReturn, TypeVar

from pydantic import SecretStr, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsError

from kiwoom.errors import ConfigurationError

S = TypeVar("S", bound=BaseSettings)

#: pydantic error type -> the rule in Korean; ``{name}`` placeholders come from the error's ``ctx``.
RULES: Mapping[str, str] = {
    "int_parsing": "정수여야 합니다",
    "int_type": "정수여야 합니다",
    "int_from_float": "정수여야 합니다",
    "float_parsing": "숫자여야 합니다",
    "float_type": "숫자여야 합니다",
    "finite_number": "유한한 숫자여야 합니다",
    "bool_parsing": "true 또는 false 여야 합니다",
    "bool_type": "true 또는 false 여야 합니다",
    "greater_than": "{gt} 보다 커야 합니다",
    "greater_than_equal": "{ge} 이상이어야 합니다",
    "less_than": "{lt} 보다 작아야 합니다",
    "less_than_equal": "{le} 이하여야 합니다",
    "string_type": "문자열이어야 합니다",
    "dict_type": 'JSON 객체여야 합니다 (예: {{"get_stock_info": 3600}})',
    "list_type": 'JSON 목록이어야 합니다 (예: ["example.com"])',
    "json_invalid": "올바른 JSON 이어야 합니다",
}

_FIELD_IN_SETTINGS_ERROR = re.compile(r'field "([^"]+)"')


def variable(model: type[BaseSettings], field: str) -> str:
    """The environment variable of ``field``: ``env`` -> ``KIWOOM_ENV``, ``port`` -> ``KIWOOM_MCP_PORT``."""
    return f"{model.model_config.get('env_prefix', '')}{field}".upper()


def is_secret(model: type[BaseSettings], field: str) -> bool:
    """True for fields typed ``SecretStr`` (alone or in a union such as ``SecretStr | None``)."""
    info = model.model_fields.get(field)
    if info is None:
        return False
    annotation = info.annotation
    if annotation is SecretStr:
        return True
    origin = typing.get_origin(annotation)
    return origin in (typing.Union, types.UnionType) and SecretStr in typing.get_args(annotation)


def rule(error: ErrorDetails) -> str:
    """What the value must be, in Korean (pydantic's English message when there is no translation)."""
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if error["type"] in ("literal_error", "enum"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"{', '.join(choices)} 중 하나여야 합니다"
    template = RULES.get(error["type"])
    if template is None:
        return str(error["msg"]).removeprefix("Value error, ")
    return template.format(**ctx)


def describe(exc: ValidationError, model: type[BaseSettings]) -> list[str]:
    """One line per problem: ``VARIABLE='value': rule`` (``VARIABLE: rule`` for a secret)."""
    lines: list[str] = []
    for error in exc.errors():
        loc = error["loc"]
        if not loc:
            lines.append(rule(error))
            continue
        field = str(loc[0])
        name = variable(model, field)
        if len(loc) > 1:
            name += f" ({'.'.join(str(part) for part in loc[1:])})"
        if is_secret(model, field):
            lines.append(f"{name}: {rule(error)} (비밀 값이라 표시하지 않습니다)")
        elif isinstance(error.get("input"), str):
            lines.append(f"{name}={error['input']!r}: {rule(error)}")
        else:
            lines.append(f"{name}: {rule(error)}")
    return lines


def _settings_error_line(exc: SettingsError, model: type[BaseSettings]) -> str:
    """pydantic-settings' own error, raised before validation when a JSON-valued variable is not JSON."""
    found = _FIELD_IN_SETTINGS_ERROR.search(str(exc))
    if found is None:
        return f"설정을 읽을 수 없습니다: {exc}"
    return f"{variable(model, found.group(1))}: 올바른 JSON 이어야 합니다 (값을 JSON 으로 읽을 수 없습니다)"


def load(model: type[S], **values: Any) -> S:
    """Build ``model`` from the environment (and ``values``); a bad value raises a one-line-per-problem
    :class:`ConfigurationError` instead of pydantic's traceback."""
    try:
        return model(**values)
    except ValidationError as exc:
        raise ConfigurationError("\n".join(describe(exc, model))) from None
    except SettingsError as exc:
        raise ConfigurationError(_settings_error_line(exc, model)) from None


def exit_invalid(prog: str, exc: ConfigurationError, *, what: str = "설정 오류: ") -> NoReturn:
    """Print ``exc`` as ``prog: 설정 오류: …`` lines on stderr and exit with status 2 (a usage error)."""
    for line in str(exc).splitlines():
        print(f"{prog}: {what}{line}", file=sys.stderr)
    raise SystemExit(2)


def load_or_exit(model: type[S], prog: str) -> S:
    """:func:`load` for a console script: a bad setting ends the process with one line each and exit 2."""
    try:
        return load(model)
    except ConfigurationError as exc:
        exit_invalid(prog, exc)
