"""Scenario files: the catalog validates, bad files are rejected with the file, path and rule named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fake_kiwoom import Scenario, ScenarioError, load_scenario, parse_scenario
from fake_kiwoom.__main__ import build_app, build_parser
from fake_kiwoom.scenario_model import HttpStatusFault
from kiwoom_lab.spec import Expect

CATALOG = Path(__file__).resolve().parents[2] / "scenarios"
CATALOG_FILES = sorted(CATALOG.glob("*.yaml"))
REQUIRED = {
    "happy_path", "latency_spike", "5xx_burst", "total_outage", "empty_output", "ttl_expiry", "rate_limited",
    "token_expiry", "malformed_json", "truncated_body", "hang", "drop_connection", "flapping", "slow_auth",
}  # fmt: skip
#: The keys kiwoom-lab reads (the fake itself never reads ``expect``).
EXPECT_KEYS = set(Expect.model_fields)

HEADER = "version: 1\nname: bad\ndescription: a broken scenario\n"


def reject(text: str, source: str = "bad.yaml") -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source)
    message = str(info.value)
    assert message.startswith(f"{source}: ")
    return message


def one_step(fault: str, extra: str = "") -> str:
    return HEADER + f"rules:\n  - steps:\n      - {{{extra}fault: {fault}}}\n"


def test_catalog_holds_every_required_scenario() -> None:
    assert {p.stem for p in CATALOG_FILES} >= REQUIRED


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda p: p.stem)
def test_catalog_file_validates(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert len(scenario.narrative("en").split()) >= 30, "the description is the lesson: say what a good client does"
    assert "KIWOOM_" in scenario.narrative("en") or scenario.name in {"token_expiry"}
    assert scenario.expect, "every catalog file closes with an expect block"
    assert set(scenario.expect) <= EXPECT_KEYS, set(scenario.expect) - EXPECT_KEYS


def test_catalog_readme_lists_every_file() -> None:
    readme = (CATALOG / "README.md").read_text(encoding="utf-8")
    for path in CATALOG_FILES:
        assert f"`{path.name}`" in readme
    for key in EXPECT_KEYS:
        assert f"`{key}`" in readme


def test_5xx_burst_fits_a_three_attempt_budget() -> None:
    rule = load_scenario(CATALOG / "5xx_burst.yaml").rules[0]
    assert [(s.times, s.fault.type) for s in rule.steps] == [(2, "http_status")]
    assert rule.then == "pass"


def test_json_is_accepted_too() -> None:
    data = {
        "version": 1,
        "name": "j",
        "description": "json",
        "rules": [{"match": {"api_id": "ka10001"}, "steps": [{"fault": {"type": "http_status", "status": 502}}]}],
    }
    scenario = parse_scenario(json.dumps(data), "j.json")
    fault = scenario.rules[0].steps[0].fault
    assert isinstance(fault, HttpStatusFault)
    assert fault.status == 502
    assert scenario.rules[0].match.api_id == ["ka10001"]


@pytest.mark.parametrize(
    ("text", "path", "rule"),
    [
        (one_step("{type: http_status, status: 404}"), "rules[0].steps[0].fault.status", "500, 502, 503 or 504"),
        (one_step("{type: teleport}"), "rules[0].steps[0].fault", "does not match any of the expected tags"),
        (one_step("{type: latency, fixed_ms: -5}"), "rules[0].steps[0].fault.fixed_ms", "greater than or equal to 0"),
        (one_step("{type: empty_output}", "probability: 1.5, "), "rules[0].steps[0].probability", "less than or equal"),
        (one_step("{type: empty_output}", "times: two, "), "rules[0].steps[0].times", "valid integer"),
        (one_step("{type: kiwoom_error, code: 1234}"), "rules[0].steps[0].fault.code", "1700, 8005, 1902 or 1999"),
        (one_step("{type: hang, seconds: 0}"), "rules[0].steps[0].fault.seconds", "greater than 0"),
        (one_step("{type: latency}"), "rules[0].steps[0].fault", "exactly one of fixed_ms, uniform_ms, lognormal"),
        (one_step("{type: latency, uniform_ms: [300, 100]}"), "rules[0].steps[0].fault", "lo <= hi"),
        (
            one_step("{type: http_status, status: 503, latency: {fixed_ms: -1}}"),
            "rules[0].steps[0].fault.latency.fixed_ms",
            "greater than or equal to 0",
        ),
        (one_step("{type: empty_output, colour: red}"), "rules[0].steps[0].fault.colour", "Extra inputs"),
        (HEADER + "rules:\n  - steps: []\n", "rules[0].steps", "at least 1 item"),
        (HEADER + "rules:\n  - steps: [{fault: {type: empty_output}}]\n    then: stop\n", "rules[0].then", "'hold'"),
        (HEADER + "rules:\n  - match: {token_state: stale}\n    steps: []\n", "rules[0].match.token_state", "valid"),
        (HEADER + "rules:\n  - match: {api_id: 5}\n    steps: []\n", "rules[0].match.api_id", "list of strings"),
        (
            HEADER + "rules:\n  - steps: [{times: null, fault: {type: empty_output}}, {fault: {type: hang}}]\n",
            "rules[0]",
            "steps[0] has times: null",
        ),
        (
            HEADER + "rules:\n  - when: {after_request: 3, until_request: 3}\n    steps: [{fault: {type: hang}}]\n",
            "rules[0].when",
            "until_request must be greater",
        ),
        ("name: x\ndescription: y\n", "version", "Field required"),
        ("version: 2\nname: x\ndescription: y\n", "version", "Input should be 1"),
        (HEADER + "rulez: []\n", "rulez", "Extra inputs"),
    ],
)
def test_invalid_scenarios_name_the_path_and_rule(text: str, path: str, rule: str) -> None:
    message = reject(text)
    lines = [line.strip() for line in message.splitlines()[1:]]
    assert any(line.startswith(f"{path}: ") and rule in line for line in lines), message


def test_every_error_is_reported_at_once() -> None:
    text = HEADER + (
        "rules:\n"
        "  - steps:\n"
        "      - {probability: 2, fault: {type: http_status, status: 404}}\n"
        "      - {fault: {type: latency, fixed_ms: -1}}\n"
    )
    message = reject(text)
    assert "invalid scenario (3 errors)" in message
    assert "rules[0].steps[1].fault.fixed_ms" in message


@pytest.mark.parametrize(("text", "rule"), [("- a\n- b\n", "must be a mapping"), ("name: [x\n", "not valid YAML")])
def test_unusable_documents_are_rejected(text: str, rule: str) -> None:
    assert rule in reject(text)


def test_load_scenario_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text(one_step("{type: http_status, status: 404}"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken\.yaml: invalid scenario") as info:
        load_scenario(bad)
    assert "rules[0].steps[0].fault.status" in str(info.value)
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")


def test_scenarios_are_immutable() -> None:
    scenario = load_scenario(CATALOG / "happy_path.yaml")
    assert isinstance(scenario, Scenario)
    with pytest.raises(ValueError, match="frozen"):
        scenario.name = "other"  # type: ignore[misc]


def test_cli_loads_a_scenario_at_start() -> None:
    args = build_parser().parse_args(["--scenario", str(CATALOG / "5xx_burst.yaml")])
    app = build_app(args)
    assert app.state.engine.scenario.name == "5xx_burst"
    assert build_app(build_parser().parse_args([])).state.engine.scenario is None


def test_cli_rejects_an_invalid_scenario_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(one_step("{type: teleport}"), encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        build_app(build_parser().parse_args(["--scenario", str(bad)]))
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err
    assert "rules[0].steps[0].fault" in err
