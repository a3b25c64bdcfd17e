"""The scenario file schema (version 1): rules that match requests and inject faults.

A scenario teaches one failure mode, so its file must be easy to read and impossible to
half-load: every model forbids unknown keys (a typo such as ``probabilty`` is an error,
not a silently ignored field, answered with "did you mean 'probability'?"), an api-id
Kiwoom does not have (``ka1081``) is refused rather than left to match nothing, and
``parse_scenario`` either returns a complete ``Scenario`` or raises ``ScenarioError``
naming the file, the path inside it (``rules[0].steps[1].fault.status``) and the rule
broken, one line per problem (:mod:`fake_kiwoom.suggest` finds the likely fixes).

Shape (YAML or JSON)::

    version: 1
    name: 5xx_burst
    description:                # the lesson, Korean first; one plain text is accepted too
      ko: 가르치는 글
      en: teaching text
    seed: 0
    rules:
      - match: {api_id: ka10001}
        when: {after_request: 0}
        steps:
          - times: 2
            fault: {type: http_status, status: 503}
        then: pass
    expect: {success: true}
    stream:                     # optional: WebSocket faults (``scenario_stream``)
      drop_after_messages: 20
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    model_validator,
)

from .scenario_stream import StreamFaults
from .suggest import SELF_DESCRIBED, api_id_problem, dotted, key_hint, locate, one_line_per_problem, self_described

#: Fault types; ``fault.type`` must be one of these.
FAULT_TYPES = (
    "latency",
    "http_status",
    "kiwoom_error",
    "empty_output",
    "malformed_json",
    "truncated_body",
    "hang",
    "drop_connection",
)


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message is meant for the person who wrote it."""


def _one_or_many(value: object) -> object:
    """Let ``api_id: ka10001`` stand for ``api_id: [ka10001]`` (one spelling in the model, two in files)."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ValueError("must be a string or a list of strings")
    return value


StrList = Annotated[list[str], BeforeValidator(_one_or_many), Field(min_length=1)]


def _known_api_id(api_id: str) -> str:
    """A typo such as ``ka1081`` would match nothing and fail the lesson with no hint: refuse it here."""
    problem = api_id_problem(api_id)
    if problem is not None:
        raise self_described(problem)
    return api_id


#: ``match.api_id``: one or many, each a REST api-id the fake knows (``rules[0].match.api_id[1]`` when not).
ApiIdList = Annotated[
    list[Annotated[str, AfterValidator(_known_api_id)]], BeforeValidator(_one_or_many), Field(min_length=1)
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lognormal(_Strict):
    """Latency whose median is ``median_ms``; ``sigma`` widens the tail, ``max_ms`` caps it."""

    median_ms: PositiveFloat
    sigma: NonNegativeFloat
    max_ms: PositiveFloat

    @model_validator(mode="after")
    def _cap_above_median(self) -> Lognormal:
        if self.max_ms < self.median_ms:
            raise ValueError("max_ms must be >= median_ms")
        return self


class LatencySpec(_Strict):
    """Exactly one of ``fixed_ms``, ``uniform_ms: [lo, hi]`` or ``lognormal``."""

    fixed_ms: NonNegativeFloat | None = None
    uniform_ms: tuple[NonNegativeFloat, NonNegativeFloat] | None = None
    lognormal: Lognormal | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> LatencySpec:
        given = [n for n in ("fixed_ms", "uniform_ms", "lognormal") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of fixed_ms, uniform_ms, lognormal (got {given or 'none'})")
        if self.uniform_ms is not None and self.uniform_ms[0] > self.uniform_ms[1]:
            raise ValueError("uniform_ms must be [lo, hi] with lo <= hi")
        return self

    def sample_s(self, rng: random.Random) -> float:
        """One delay in seconds, drawn from ``rng`` so a seeded scenario repeats exactly."""
        if self.fixed_ms is not None:
            return self.fixed_ms / 1000
        if self.uniform_ms is not None:
            return rng.uniform(*self.uniform_ms) / 1000
        assert self.lognormal is not None
        spec = self.lognormal
        ms = rng.lognormvariate(math.log(spec.median_ms), spec.sigma)
        return min(ms, spec.max_ms) / 1000


class LatencyFault(LatencySpec):
    """Delay the answer, then answer normally."""

    type: Literal["latency"]


class _FaultBase(_Strict):
    #: An optional delay before the fault is delivered (a slow 503 is not the same lesson as a fast one).
    latency: LatencySpec | None = None


class HttpStatusFault(_FaultBase):
    """A proxy or load balancer error page: not JSON, no Kiwoom envelope."""

    type: Literal["http_status"]
    status: Literal[500, 502, 503, 504]
    retry_after_s: NonNegativeInt | None = None


class KiwoomErrorFault(_FaultBase):
    """A Kiwoom error envelope with the live server's HTTP status for that code."""

    type: Literal["kiwoom_error"]
    code: Literal[1700, 8005, 1902, 1999]


class EmptyOutputFault(_FaultBase):
    """return_code 0 but every field blank and every list empty (the seed's "API 응답 없음")."""

    type: Literal["empty_output"]


class MalformedJsonFault(_FaultBase):
    """HTTP 200 with a JSON content type and a body that is not JSON."""

    type: Literal["malformed_json"]


class TruncatedBodyFault(_FaultBase):
    """The real answer cut short: only ``keep_fraction`` of its bytes arrive."""

    type: Literal["truncated_body"]
    keep_fraction: float = Field(default=0.5, gt=0, lt=1)


class HangFault(_FaultBase):
    """Answer normally, but only after ``seconds`` (longer than a sane client timeout)."""

    type: Literal["hang"]
    seconds: PositiveFloat = 60.0


class DropConnectionFault(_FaultBase):
    """Close the connection without any HTTP response."""

    type: Literal["drop_connection"]


Fault = Annotated[
    LatencyFault
    | HttpStatusFault
    | KiwoomErrorFault
    | EmptyOutputFault
    | MalformedJsonFault
    | TruncatedBodyFault
    | HangFault
    | DropConnectionFault,
    Field(discriminator="type"),
]


class Match(_Strict):
    """Which requests a rule considers; every given criterion must hold (absent ones match all).

    ``path`` is exact or an ``fnmatch`` glob (``/api/dostk/*``). ``stock_code`` matches when
    any code of the request (ka10095 sends ``a|b|c``) is listed. ``token_state`` applies to
    TR requests only: ``valid`` means a live bearer token, ``expired`` anything else
    (missing, unknown, expired or revoked); token endpoints match only ``any``.
    ``session`` is the ``x-fake-session`` request header (``default`` when absent).
    """

    path: str | None = Field(default=None, pattern=r"^/")
    api_id: ApiIdList | None = None
    stock_code: StrList | None = None
    token_state: Literal["valid", "expired", "any"] = "any"
    session: StrList | None = None


class When(_Strict):
    """When a matching request is in the rule's window.

    ``after_request: n`` skips the first n requests the rule matched (active from n + 1);
    ``until_request: n`` stops after the n-th. ``after_s``/``for_s`` count seconds on the
    fake's clock since the scenario was loaded or reset: active from ``after_s`` for
    ``for_s`` seconds (forever when absent).
    """

    after_request: NonNegativeInt = 0
    until_request: PositiveInt | None = None
    after_s: NonNegativeFloat = 0.0
    for_s: PositiveFloat | None = None

    @model_validator(mode="after")
    def _non_empty_window(self) -> When:
        if self.until_request is not None and self.until_request <= self.after_request:
            raise ValueError("until_request must be greater than after_request, or the rule never applies")
        return self


class Step(_Strict):
    """One fault for ``times`` applied requests (``null``: forever, last step only).

    ``probability`` < 1 makes the step a dice roll per request; a miss passes the request
    through untouched but still uses up one of the step's ``times``.
    """

    times: PositiveInt | None = 1
    probability: float = Field(default=1.0, ge=0.0, le=1.0)
    fault: Fault


class Rule(_Strict):
    match: Match = Match()
    when: When = When()
    steps: list[Step] = Field(min_length=1)
    #: After the steps run out: keep the last step, start again, or stop faulting.
    then: Literal["hold", "cycle", "pass"] = "pass"

    @model_validator(mode="after")
    def _forever_only_last(self) -> Rule:
        for index, step in enumerate(self.steps[:-1]):
            if step.times is None:
                raise ValueError(f"steps[{index}] has times: null (forever), so the steps after it never run")
        return self


#: The languages a lesson's narrative is written in; Korean first (the learners read it first).
Lang = Literal["ko", "en"]
LANGS: tuple[Lang, ...] = ("ko", "en")


class Narrative(_Strict):
    """A lesson's teaching text in Korean and English (``description: {ko: ..., en: ...}``)."""

    ko: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Scenario(_Strict):
    version: Literal[1]
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    #: The lesson: ``{ko, en}``, or one text (a learner's own file need not be bilingual).
    description: Annotated[str, Field(min_length=1)] | Narrative
    seed: int = 0
    rules: list[Rule] = Field(default_factory=list)
    expect: dict[str, Any] = Field(default_factory=dict)
    #: Faults of the real-time WebSocket (``None``: the socket behaves).
    stream: StreamFaults | None = None

    def narrative(self, lang: Lang = "ko") -> str:
        """The teaching text in ``lang``; a single-language file answers with its one text."""
        if isinstance(self.description, Narrative):
            return self.description.ko if lang == "ko" else self.description.en
        return self.description

    @property
    def bilingual(self) -> bool:
        """Whether the narrative is written in both languages (every catalog lesson must be)."""
        return isinstance(self.description, Narrative)


def _describe(error: Any) -> str:
    """One line per problem: the path as written in the file, the rule broken, a likely fix when there is one."""
    message = str(error["msg"]).removeprefix("Value error, ")
    loc = tuple(error["loc"])
    where = dotted(locate(Scenario, loc).parts) or "(top level)"
    value = error.get("input")
    if error["type"] == "extra_forbidden":
        return f"{where}: {message}{key_hint(Scenario, loc)}"
    if error["type"] in {"missing", SELF_DESCRIBED} or isinstance(value, dict | list):
        return f"{where}: {message}"
    return f"{where}: {message} (got {value!r})"


def _load_text(text: str, source: str) -> object:
    try:
        if text.lstrip().startswith(("{", "[")):
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{source}: not valid JSON: {exc}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: not valid YAML: {exc}") from None


def _as_written(data: object, error: Any) -> Any:
    """The error's path as the file has it: ``api_id: ka1081`` is ``match.api_id``, not ``match.api_id[0]``.

    One-or-many fields take a single value as a list of one, so pydantic names its index; a
    learner who wrote no list should not be shown one.
    """
    loc = tuple(error["loc"])
    node: object = data
    for part in loc[:-1]:
        in_mapping = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if not (in_mapping or in_list):
            return error
        node = node[part]  # type: ignore[index]
    if loc and loc[-1] == 0 and isinstance(node, str):
        return {**error, "loc": loc[:-1]}
    return error


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Parse and validate a scenario (YAML or JSON); ``source`` names it in error messages."""
    data = _load_text(text, source)
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: (top level): a scenario must be a mapping, got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        errors = [_as_written(data, e) for e in one_line_per_problem(Scenario, exc.errors())]
        lines = "\n".join(f"  {_describe(e)}" for e in errors)
        noun = "error" if len(errors) == 1 else "errors"
        raise ScenarioError(f"{source}: invalid scenario ({len(errors)} {noun})\n{lines}") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read scenario file: {exc}") from None
    return parse_scenario(text, str(path))
