"""A bad setting reads as one line: the variable, the value (never a secret's) and the rule."""

from __future__ import annotations

import pytest

from kiwoom import ConfigurationError, Settings
from kiwoom.mcp.settings import ServerSettings
from kiwoom.settings_errors import load


def problem(model: type[Settings] | type[ServerSettings], **values: object) -> str:
    with pytest.raises(ConfigurationError) as raised:
        load(model, _env_file=None, **values)
    return str(raised.value)


def test_a_value_outside_a_choice_names_the_variable_the_value_and_the_choices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KIWOOM_ENV", "bogus")
    assert problem(Settings) == "KIWOOM_ENV='bogus': sandbox, mock, real 중 하나여야 합니다"


def test_a_port_that_is_not_a_number_names_the_server_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIWOOM_MCP_PORT", "abc")
    assert problem(ServerSettings) == "KIWOOM_MCP_PORT='abc': 정수여야 합니다"


def test_a_number_below_its_bound_names_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIWOOM_MCP_WORKERS", "0")
    assert problem(ServerSettings) == "KIWOOM_MCP_WORKERS='0': 1 이상이어야 합니다"


def test_a_json_setting_that_is_not_json_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIWOOM_CACHE_TTL_OVERRIDES", "{not json")
    message = problem(Settings)
    assert message.startswith("KIWOOM_CACHE_TTL_OVERRIDES")
    assert "JSON" in message
    assert "\n" not in message


def test_each_bad_variable_gets_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIWOOM_ENV", "bogus")
    monkeypatch.setenv("KIWOOM_TIMEOUT", "soon")
    lines = problem(Settings).splitlines()
    assert [line.split("=")[0] for line in lines] == ["KIWOOM_ENV", "KIWOOM_TIMEOUT"]


def test_a_secret_setting_is_named_but_its_value_is_never_shown() -> None:
    message = problem(Settings, app_key=["s3cr3t-app-key"])
    assert message.startswith("KIWOOM_APP_KEY")
    assert "s3cr3t" not in message


def test_a_server_secret_is_never_shown_either() -> None:
    message = problem(ServerSettings, auth_token=["s3cr3t-token"])
    assert message.startswith("KIWOOM_MCP_AUTH_TOKEN")
    assert "s3cr3t" not in message


def test_valid_settings_load_as_usual(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIWOOM_TIMEOUT", "5")
    assert load(Settings, _env_file=None).timeout == 5
