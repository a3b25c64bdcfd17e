"""The ``expect`` block of a scenario file, as the lab reads it: what to call and what to check.

The fake's schema keeps ``expect`` an open mapping (the fake never reads it), so the lab
validates it here, with the same care: unknown keys are errors (``atempts`` must not pass
silently as "no expectation"), and every message names the file, the path inside it
(``expect.settings.KIWOOM_CACHE_TTL``) and the rule broken, raised as the fake's
``ScenarioError`` so that a bad file fails the same way whichever tool reads it. A
misspelled key gets the key meant, an ``upstream_requests`` api-id the fake never journals
gets the nearest real ones, and ``args`` is checked against the tool's signature
(:mod:`kiwoom_lab.tool_args`): all at load, never as a puzzling failure mid-run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from fake_kiwoom.journal import Criteria
from fake_kiwoom.scenario_model import Scenario, ScenarioError
from fake_kiwoom.suggest import (
    KEY_MARGIN,
    SELF_DESCRIBED,
    api_id_problem,
    did_you_mean,
    dotted,
    key_hint,
    locate,
    one_line_per_problem,
    self_described,
)
from kiwoom.config import Settings
from kiwoom_lab.fleet_spec import FleetExpect
from kiwoom_lab.stream_spec import StreamExpect
from kiwoom_lab.tool_args import argument_problems

#: Client methods the runner can call; ``stock_code`` is their argument where they take one.
TOOLS = (
    "get_stock_price",
    "get_stock_prices",
    "get_stock_info",
    "get_stock_history",
    "get_orderbook",
    "search_stock",
    "get_account_info",
    "get_market_status",
)

#: Settings the runner owns: the fake's URL is chosen per run, keys are the sandbox's.
RUNNER_OWNED = frozenset({"base_url", "env", "app_key", "secret_key", "account_no"})

Source = Literal["live", "simulated", "cache", "stale", "sample", "calendar"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UpstreamCount(Criteria):
    """``POST /__admin/requests/count`` criteria (the fake's own model) plus ``count`` or ``max``."""

    count: NonNegativeInt | None = None
    max: NonNegativeInt | None = None

    @field_validator("api_id")
    @classmethod
    def _known_api_id(cls, value: str | None) -> str | None:
        """``ka1081`` would count nothing and fail with "observed 0": refuse it, with the nearest ids."""
        problem = api_id_problem(value, journal=True) if value is not None else None
        if problem is not None:
            raise self_described(problem)
        return value

    @model_validator(mode="after")
    def _one_bound(self) -> UpstreamCount:
        if (self.count is None) == (self.max is None):
            raise ValueError("give exactly one of count (exactly) or max (at most)")
        return self

    def criteria(self) -> dict[str, Any]:
        """The journal criteria alone, as the admin API takes them."""
        return self.model_dump(exclude_none=True, exclude={"count", "max"})

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.criteria().items()) or "all requests"


class _ScenarioSettings(Settings):
    """Settings from the scenario alone: a developer's ``KIWOOM_*`` variables must not change a lesson."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def settings_of(fields: Mapping[str, Any]) -> Settings:
    """Settings from these field values alone, never the environment or a ``.env`` (a lesson's worker process)."""
    return _ScenarioSettings(**fields)


def settings_fields(env: Mapping[str, str]) -> dict[str, Any]:
    """``{"KIWOOM_CACHE_TTL": "0.5"}`` → ``{"cache_ttl": "0.5"}``; JSON values for mapping fields."""
    fields: dict[str, Any] = {}
    for name, raw in env.items():
        field = name.removeprefix("KIWOOM_").lower()
        if not name.startswith("KIWOOM_") or field not in Settings.model_fields:
            hint = did_you_mean(name, [f"KIWOOM_{known.upper()}" for known in Settings.model_fields], margin=KEY_MARGIN)
            raise ValueError(f"{name}: not a KIWOOM_* setting of the client" + (f"; {hint}" if hint else ""))
        if field in RUNNER_OWNED:
            raise ValueError(f"{name}: set by the runner, not by a scenario")
        value: Any = raw
        if field == "cache_ttl_overrides":
            try:
                value = json.loads(raw)
            except ValueError:
                raise ValueError(f"{name}: must be a JSON object, got {raw!r}") from None
        fields[field] = value
    return fields


def build_settings(
    env: Mapping[str, str],
    base_url: str,
    *,
    base_settings: Settings | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Settings:
    """The client's settings for one run: ``base_settings`` (or the defaults), the scenario's, then overrides."""
    values: dict[str, Any] = base_settings.model_dump(exclude_unset=True) if base_settings is not None else {}
    values.update(settings_fields(env))
    values.update(settings_fields(overrides or {}))
    values["base_url"] = base_url
    return _ScenarioSettings(**values)


#: Tools that take a list of codes: ``stock_code`` is that list, the same for every call.
LIST_TOOLS = frozenset({"get_stock_prices"})
#: Tools that take no code at all: ``stock_code`` is ignored (``search_stock`` uses it as its query).
NO_CODE_TOOLS = frozenset({"get_account_info", "get_market_status"})


class Expect(_Strict):
    """What the runner does (``tool`` … ``concurrent``, ``clock``) and what it checks (the rest)."""

    tool: str = "get_stock_price"
    #: One code, or a list: the argument of ``get_stock_prices``; for a single-code tool, call i takes
    #: ``stock_code[i % len]`` (a burst of callers on many codes).
    stock_code: str | list[str] = "005930"
    args: dict[str, Any] = Field(default_factory=dict)
    settings: dict[str, str] = Field(default_factory=dict)
    #: ``virtual``: one shared clock for the fake and the client; waits cost no wall time.
    clock: Literal["real", "virtual"] = "real"
    calls: PositiveInt = 1
    #: The first n calls meet a healthy fake; the scenario is loaded just before call n + 1.
    load_after_calls: NonNegativeInt = 0
    #: Seconds between calls: one figure for every gap, or a list of ``calls - 1`` gaps.
    call_gap_s: NonNegativeFloat | list[NonNegativeFloat] = 0.0
    #: Start every call at once (``asyncio.gather``), as concurrent users would, instead of one after another.
    concurrent: bool = False

    success: bool | None = None
    source: Source | None = None
    sources: list[Source] | None = None
    attempts: NonNegativeInt | None = None
    token_issues: NonNegativeInt | None = None
    upstream_requests: UpstreamCount | list[UpstreamCount] | None = None
    min_gaps_s: list[NonNegativeFloat] | None = None
    max_latency_s: PositiveFloat | None = None
    breaker: Literal["closed", "open", "half_open"] | None = None
    #: A stream lesson: open the real-time stream instead of calling a tool (:mod:`kiwoom_lab.stream_spec`).
    stream: StreamExpect | None = None
    #: A fleet lesson: several workers sharing one Redis (:mod:`kiwoom_lab.fleet_spec`).
    workers: FleetExpect | None = None

    @field_validator("tool")
    @classmethod
    def _known_tool(cls, value: str) -> str:
        if value not in TOOLS:
            raise ValueError(
                f"unknown tool; {did_you_mean(value, TOOLS, margin=KEY_MARGIN) or 'one of ' + ', '.join(TOOLS)}"
            )
        return value

    @field_validator("args")
    @classmethod
    def _args_fit_the_tool(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """``args: {day: 5}`` is refused here, not as a ``TypeError`` in the middle of a run."""
        tool = info.data.get("tool")
        problems = argument_problems(tool, value) if tool is not None else []
        if problems:
            details = [InitErrorDetails(type=self_described(text), loc=loc, input=value) for loc, text in problems]
            raise ValidationError.from_exception_data(cls.__name__, details)
        return value

    @field_validator("settings")
    @classmethod
    def _valid_settings(cls, value: dict[str, str]) -> dict[str, str]:
        try:
            build_settings(value, "http://127.0.0.1:1")
        except ValidationError as exc:
            first = exc.errors()[0]
            env = "KIWOOM_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
            raise ValueError(f"{env}: {first['msg']} (got {first.get('input')!r})") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Expect:
        if isinstance(self.call_gap_s, list) and len(self.call_gap_s) != self.calls - 1:
            raise ValueError(f"call_gap_s lists {len(self.call_gap_s)} gaps; {self.calls} calls have {self.calls - 1}")
        if self.load_after_calls >= self.calls:
            raise ValueError(f"load_after_calls ({self.load_after_calls}) must be below calls ({self.calls})")
        if self.sources is not None and len(self.sources) != self.calls:
            raise ValueError(f"sources lists {len(self.sources)} sources for {self.calls} calls")
        if self.min_gaps_s is not None and self.upstream_requests is None:
            raise ValueError("min_gaps_s needs upstream_requests (its first entry selects the requests)")
        self._check_codes()
        if self.workers is not None:
            if self.concurrent or self.stream is not None or self.clock == "virtual":
                raise ValueError("workers: a fleet lesson runs its calls one by one on the real clock, without stream")
            self.workers.check_calls(self.calls)
        if self.concurrent:
            self._check_concurrent()
        return self

    def _check_codes(self) -> None:
        codes = self.stock_code
        if not isinstance(codes, list) or self.tool in LIST_TOOLS | NO_CODE_TOOLS:
            return
        if not codes:
            raise ValueError("stock_code: an empty list gives the calls no code to ask for")
        if len(codes) > self.calls:
            raise ValueError(
                f"stock_code lists {len(codes)} codes for {self.calls} call(s) of {self.tool}: "
                f"call i asks for stock_code[i % {len(codes)}], so {len(codes) - self.calls} would never be asked"
            )

    def _check_concurrent(self) -> None:
        if self.calls < 2:
            raise ValueError("concurrent: true starts the calls together; give calls of at least 2")
        gaps = self.call_gap_s if isinstance(self.call_gap_s, list) else [self.call_gap_s]
        if any(gaps):
            raise ValueError("concurrent: true starts every call at once, so call_gap_s cannot space them; drop one")
        if self.load_after_calls:
            raise ValueError("concurrent: true starts every call at once, so load_after_calls has no moment to load")

    def single_code(self, call_index: int) -> str | None:
        """The one code call ``call_index`` asks for, or None for a tool that takes a list, a query or nothing."""
        code = self.code_for(call_index)
        if isinstance(code, list) or self.tool in NO_CODE_TOOLS or self.tool == "search_stock":
            return None
        return code

    def code_for(self, call_index: int) -> str | list[str]:
        """The ``stock_code`` argument of call ``call_index`` (0-based): the list itself for a list tool."""
        codes = self.stock_code
        if not isinstance(codes, list) or self.tool in LIST_TOOLS:
            return codes
        return codes[call_index % len(codes)] if codes else "005930"

    def gap_before(self, call_index: int) -> float:
        """Seconds to let pass before call ``call_index`` (0-based; none before the first)."""
        if call_index == 0:
            return 0.0
        if isinstance(self.call_gap_s, list):
            return self.call_gap_s[call_index - 1]
        return self.call_gap_s

    def upstream(self) -> list[UpstreamCount]:
        if self.upstream_requests is None:
            return []
        if isinstance(self.upstream_requests, list):
            return self.upstream_requests
        return [self.upstream_requests]


def _line(error: Any) -> str:
    """One line per problem: ``expect.args.day: ...``, with a likely fix for a misspelled key."""
    loc = tuple(error["loc"])
    where = dotted(locate(Expect, loc).parts, "expect")
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"{where}: {message}{key_hint(Expect, loc)}"
    shown = error.get("input")
    if error["type"] == SELF_DESCRIBED or isinstance(shown, dict | list):
        return f"{where}: {message}"
    return f"{where}: {message} (got {shown!r})"


def parse_expect(scenario: Scenario, source: str = "<scenario>") -> Expect:
    """Validate ``scenario.expect``; a ``ScenarioError`` names ``source`` and the path of each problem."""
    try:
        return Expect.model_validate(scenario.expect)
    except ValidationError as exc:
        lines = [f"  {_line(error)}" for error in one_line_per_problem(Expect, exc.errors())]
        noun = "error" if len(lines) == 1 else "errors"
        raise ScenarioError(f"{source}: invalid expect block ({len(lines)} {noun})\n" + "\n".join(lines)) from None
