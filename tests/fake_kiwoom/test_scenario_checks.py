"""Scenario files are checked at load: api-ids Kiwoom lacks, misspelled keys, each with the likely fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fake_kiwoom import ScenarioError, parse_scenario
from fake_kiwoom.__main__ import main as fake_main
from fake_kiwoom.suggest import (
    REST_API_IDS,
    STREAM_JOURNAL_IDS,
    api_id_problem,
    close_matches,
    did_you_mean,
)
from fake_kiwoom.trs import TR_TABLE
from tr_catalog import CATALOG

HEADER = "version: 1\nname: bad\ndescription: a broken scenario\n"
FAKE_SOURCES = Path(__file__).resolve().parents[2] / "fake_kiwoom"


def problems(text: str, source: str = "bad.yaml") -> list[str]:
    """The one-line problems of a refused file (the header line names the file)."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source)
    first, *lines = str(info.value).splitlines()
    assert first.startswith(f"{source}: invalid scenario")
    return [line.strip() for line in lines]


def test_a_typo_in_a_rules_api_id_is_refused_with_the_path_and_the_nearest_ids() -> None:
    text = HEADER + "rules:\n  - match: {api_id: [ka10001, ka1081]}\n    steps: [{fault: {type: hang}}]\n"
    assert problems(text) == [
        "rules[0].match.api_id[1]: 'ka1081' is not a Kiwoom api-id (a TR of tr_catalog, or au10001/au10002); "
        "did you mean 'ka10081', 'ka10001' or 'ka10008'?"
    ]


def test_one_api_id_written_as_a_string_is_checked_too() -> None:
    text = HEADER + "rules:\n  - match: {api_id: KA10001}\n    steps: [{fault: {type: hang}}]\n"
    [line] = problems(text)
    assert line.startswith("rules[0].match.api_id: 'KA10001' is not a Kiwoom api-id")  # no list written, none shown
    assert "did you mean 'ka10001'" in line  # case does not count for the suggestion, only for the match


def test_an_api_id_with_nothing_close_points_at_the_catalog() -> None:
    text = HEADER + "rules:\n  - match: {api_id: quote}\n    steps: [{fault: {type: hang}}]\n"
    [line] = problems(text)
    assert line.endswith("`python -m tr_catalog` lists the TRs")
    assert "did you mean" not in line


def test_a_websocket_frame_is_no_rule_match() -> None:
    text = HEADER + "rules:\n  - match: {api_id: REG}\n    steps: [{fault: {type: hang}}]\n"
    assert problems(text) == [
        "rules[0].match.api_id: 'REG' is a WebSocket frame or event; rules match REST requests only "
        "(the stream: block makes the socket fail)"
    ]


@pytest.mark.parametrize("api_id", ["ka10001", "ka10095", "kt00018", "au10001", "au10002"])
def test_every_api_id_the_fake_answers_is_accepted(api_id: str) -> None:
    text = HEADER + f"rules:\n  - match: {{api_id: {api_id}}}\n    steps: [{{fault: {{type: hang}}}}]\n"
    assert parse_scenario(text).rules[0].match.api_id == [api_id]


def test_the_known_rest_ids_are_exactly_what_the_fake_answers() -> None:
    """The TR table is built from the catalog; the token APIs sit beside it."""
    assert set(TR_TABLE) | {"au10001", "au10002"} == REST_API_IDS
    assert set(CATALOG) <= REST_API_IDS


def test_every_name_the_fake_journals_for_its_websocket_is_known() -> None:
    """A count of ``DROP`` or ``PING_SKIPPED`` must not be refused: read the names the fake writes."""
    written: set[str] = set()
    for path in FAKE_SOURCES.glob("w*.py"):
        written |= set(re.findall(r'(?:journal|_event)\(\s*"([A-Z_]+)"', path.read_text(encoding="utf-8")))
    assert written >= {"LOGIN", "PING", "DROP", "CLOSE", "STALL", "DUPLICATE"}  # the scan itself works
    assert written | {"REG", "REMOVE"} <= STREAM_JOURNAL_IDS
    assert all(api_id_problem(name, journal=True) is None for name in STREAM_JOURNAL_IDS)
    assert api_id_problem("REG") is not None


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("rulez: []\n", "rulez: Extra inputs are not permitted; did you mean 'rules'?"),
        ("sed: 3\n", "sed: Extra inputs are not permitted; did you mean 'seed'?"),
        (
            "rules:\n  - mach: {}\n    steps: [{fault: {type: hang}}]\n",
            "rules[0].mach: Extra inputs are not permitted; did you mean 'match'?",
        ),
        (
            "rules:\n  - match: {apiid: ka10001}\n    steps: [{fault: {type: hang}}]\n",
            "rules[0].match.apiid: Extra inputs are not permitted; did you mean 'api_id'?",
        ),
        (
            "rules:\n  - when: {after_requests: 1}\n    steps: [{fault: {type: hang}}]\n",
            "rules[0].when.after_requests: Extra inputs are not permitted; did you mean 'after_request'?",
        ),
        (
            "rules:\n  - steps: [{probabilty: 0.5, fault: {type: hang}}]\n",
            "rules[0].steps[0].probabilty: Extra inputs are not permitted; did you mean 'probability'?",
        ),
        (
            "rules:\n  - steps: [{fault: {type: http_status, status: 503, retry_after: 2}}]\n",
            "rules[0].steps[0].fault.retry_after: Extra inputs are not permitted; did you mean 'retry_after_s'?",
        ),
        (
            "rules:\n  - steps: [{fault: {type: truncated_body, keep_fracton: 0.3}}]\n",
            "rules[0].steps[0].fault.keep_fracton: Extra inputs are not permitted; did you mean 'keep_fraction'?",
        ),
        (
            "rules:\n  - steps: [{fault: {type: hang, latency: {fixd_ms: 5}}}]\n",
            "rules[0].steps[0].fault.latency.fixd_ms: Extra inputs are not permitted; did you mean 'fixed_ms'?",
        ),
        (
            "rules:\n  - steps: [{fault: {type: latency, lognormal: {median_ms: 5, sigma: 1, max: 9}}}]\n",
            "rules[0].steps[0].fault.lognormal.max: Extra inputs are not permitted; did you mean 'max_ms'?",
        ),
        (
            "stream: {dorp_after_s: 5}\n",
            "stream.dorp_after_s: Extra inputs are not permitted; did you mean 'drop_after_s'?",
        ),
        (
            "stream: {refuse_reg: {tmes: 2}}\n",
            "stream.refuse_reg.tmes: Extra inputs are not permitted; did you mean 'times'?",
        ),
    ],
)
def test_a_misspelled_key_is_answered_with_the_key_meant(body: str, line: str) -> None:
    assert problems(HEADER + body) == [line]


def test_a_fault_suggests_its_own_fields_not_another_types() -> None:
    """``seconds`` belongs to ``hang``; an ``http_status`` fault has no such field to offer."""
    [line] = problems(HEADER + "rules:\n  - steps: [{fault: {type: http_status, status: 503, secnds: 1}}]\n")
    assert line == "rules[0].steps[0].fault.secnds: Extra inputs are not permitted"
    [line] = problems(HEADER + "rules:\n  - steps: [{fault: {type: hang, secnds: 1}}]\n")
    assert line.endswith("did you mean 'seconds'?")


def test_a_key_with_nothing_close_gets_no_guess() -> None:
    assert problems(HEADER + "colour: red\n") == ["colour: Extra inputs are not permitted"]


def test_a_bilingual_narrative_shows_one_line_at_the_key_as_written() -> None:
    """``description`` is ``str | {ko, en}``: "not a string" and "en: Field required" would only echo the typo."""
    text = "version: 1\nname: bad\ndescription: {ko: 가르침, eng: lesson}\n"
    assert problems(text) == ["description.eng: Extra inputs are not permitted; did you mean 'en'?"]


def test_a_required_key_still_missing_without_a_typo_is_named() -> None:
    text = "version: 1\nname: bad\ndescription: {ko: 가르침, colour: red}\n"
    assert problems(text) == ["description.en: Field required", "description.colour: Extra inputs are not permitted"]


def test_every_problem_is_one_line_at_once() -> None:
    text = HEADER + (
        "rulez: []\n"
        "rules:\n"
        "  - match: {api_id: [ka1081, ka10001]}\n"
        "    steps: [{probabilty: 0.5, fault: {type: http_status, status: 404}}]\n"
    )
    lines = problems(text)
    assert len(lines) == 4
    assert [line.split(":")[0] for line in lines] == [
        "rules[0].match.api_id[0]",
        "rules[0].steps[0].fault.status",
        "rules[0].steps[0].probabilty",
        "rulez",
    ]


def test_fake_kiwoom_refuses_a_typo_in_api_id_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEADER + "rules:\n  - match: {api_id: ka1081}\n    steps: [{fault: {type: hang}}]\n", "utf-8")
    with pytest.raises(SystemExit) as info:
        fake_main(["--scenario", str(bad)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"{bad}: invalid scenario (1 error)" in err
    assert "rules[0].match.api_id: 'ka1081' is not a Kiwoom api-id" in err


def test_did_you_mean_offers_only_the_obvious_fix_when_asked_for_a_margin() -> None:
    keys = ["drop_after_s", "drop_after_messages", "stall_after_s"]
    assert did_you_mean("dorp_after_s", keys, margin=0.1) == "did you mean 'drop_after_s'?"
    assert did_you_mean("dorp_after_s", keys).startswith("did you mean 'drop_after_s', ")
    assert did_you_mean("xyz", keys) == ""


@given(st.sampled_from(sorted(REST_API_IDS)), st.integers(min_value=0, max_value=6))
def test_one_dropped_character_of_a_real_id_ranks_that_id_first(api_id: str, index: int) -> None:
    """The typo the issue names (``ka1081``): the id meant is among the best-scoring suggestions."""
    typo = api_id[:index] + api_id[index + 1 :]
    if typo in REST_API_IDS:
        return
    assert api_id in close_matches(typo, REST_API_IDS, n=len(REST_API_IDS), margin=0.0)
    problem = api_id_problem(typo)
    assert problem is not None
    assert problem.startswith(f"'{typo}' is not a Kiwoom api-id")
