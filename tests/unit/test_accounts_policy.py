"""Age bands from evidence, and every child-safety default for every band."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from safeguard.accounts.bands import (
    AgeBand,
    AssuranceMethod,
    Outcome,
    age_on,
    band_for_age,
    derive_band,
)
from safeguard.accounts.guidance import TOPICS, Guidance
from safeguard.accounts.policy import (
    MAY_TURN_ON,
    Question,
    Relation,
    Setting,
    Subject,
    answer,
    may_turn_on,
    parse_may_turn_on,
)
from safeguard.errors import ConfigError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
FACE = AssuranceMethod.FACIAL_AGE_ESTIMATION
STRANGER = Relation()
CONNECTED = Relation(connected=True)
PARENT = Relation(parent=True)


def outcome(
    band: AgeBand, method: AssuranceMethod = FACE, confidence: float = 0.95, days: int = 0
) -> Outcome:
    return Outcome("provider", method, band, confidence, T0 + timedelta(days=days))


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (0, "under-13"),
        (12, "under-13"),
        (13, "13-15"),
        (15, "13-15"),
        (16, "16-17"),
        (17, "16-17"),
        (18, "18+"),
        (90, "18+"),
    ],
)
def test_band_for_age(age: int, band: str) -> None:
    assert band_for_age(age).value == band


def test_each_child_band_ends_where_the_next_begins() -> None:
    assert [b.oldest_age for b in AgeBand] == [12, 15, 17, None, None]


def test_age_on_counts_birthdays() -> None:
    assert age_on(date(2010, 6, 15), date(2023, 6, 14)) == 12
    assert age_on(date(2010, 6, 15), date(2023, 6, 15)) == 13


def test_highly_effective_outcome_sets_the_band_over_a_declaration() -> None:
    derived = derive_band(30, [outcome(AgeBand.AGE_13_15)], 0.8)
    assert (derived.band, derived.assured) == (AgeBand.AGE_13_15, True)
    assert [(e.source, e.counted) for e in derived.evidence] == [
        ("assurance", True),
        ("declaration", False),
    ]


def test_conflicting_outcomes_count_the_youngest() -> None:
    derived = derive_band(None, [outcome(AgeBand.AGE_13_15), outcome(AgeBand.ADULT, days=1)], 0.8)
    assert derived.band is AgeBand.AGE_13_15


def test_self_declaration_never_assures_an_adult() -> None:
    said = outcome(AgeBand.ADULT, AssuranceMethod.SELF_DECLARATION)
    derived = derive_band(25, [said], 0.8)
    assert (derived.band, derived.assured) == (AgeBand.UNKNOWN, False)
    assert {e.why for e in derived.evidence} == {
        "self-declaration is not highly effective",
        "a declared adult age is not assurance",
    }


def test_a_declared_child_is_a_child() -> None:
    assert derive_band(14, [], 0.8).band is AgeBand.AGE_13_15
    said = outcome(AgeBand.UNDER_13, AssuranceMethod.SELF_DECLARATION)
    derived = derive_band(None, [said], 0.8)
    assert (derived.band, derived.assured) == (AgeBand.UNDER_13, False)


def test_low_confidence_is_listed_not_counted() -> None:
    derived = derive_band(None, [outcome(AgeBand.ADULT, confidence=0.5)], 0.8)
    assert derived.band is AgeBand.UNKNOWN
    assert derived.evidence[0].why == "confidence under 0.8"


def test_every_method_but_self_declaration_is_highly_effective() -> None:
    weak = [m for m in AssuranceMethod if not m.highly_effective]
    assert weak == [AssuranceMethod.SELF_DECLARATION]
    assert len(AssuranceMethod) == 8


CHILDREN = [AgeBand.UNDER_13, AgeBand.AGE_13_15, AgeBand.AGE_16_17]


@pytest.mark.parametrize("band", CHILDREN)
@pytest.mark.parametrize("question", list(Question))
def test_defaults_for_children(band: AgeBand, question: Question) -> None:
    child = Subject(band)
    assert not answer(question, child, STRANGER).allowed
    assert answer(question, child, Relation(same_user=True)).allowed
    connected = answer(question, child, CONNECTED)
    # A connection messages, sees and views a child; the location stays hidden.
    assert connected.allowed is (question is not Question.LOCATION)
    assert answer(question, child, PARENT).allowed is (question is not Question.LOCATION)


@pytest.mark.parametrize("question", list(Question))
def test_adults_are_not_restricted(question: Question) -> None:
    result = answer(question, Subject(AgeBand.ADULT), STRANGER)
    assert result.allowed and result.reason == "the user is an adult"


@pytest.mark.parametrize("question", list(Question))
def test_unknown_age_follows_the_platform_choice(question: Question) -> None:
    assert not answer(question, Subject(AgeBand.UNKNOWN), STRANGER).allowed
    lenient = Subject(AgeBand.UNKNOWN, unknown_as_child=False)
    assert answer(question, lenient, STRANGER).allowed


@pytest.mark.parametrize("setting", list(Setting))
def test_what_each_band_may_turn_on(setting: Setting) -> None:
    assert not may_turn_on(AgeBand.UNDER_13, setting)
    assert not may_turn_on(AgeBand.UNKNOWN, setting)  # nothing until an age is assured
    assert may_turn_on(AgeBand.AGE_16_17, setting)
    expected_13_15 = setting is not Setting.MESSAGES_FROM_NON_CONNECTIONS
    assert may_turn_on(AgeBand.AGE_13_15, setting) is expected_13_15
    assert MAY_TURN_ON[setting] <= set(CHILDREN)


@pytest.mark.parametrize(
    ("question", "setting"),
    [
        (Question.MESSAGE, Setting.MESSAGES_FROM_NON_CONNECTIONS),
        (Question.SUGGEST, Setting.CONNECTION_SUGGESTIONS),
        (Question.PROFILE, Setting.PUBLIC_PROFILE),
    ],
)
def test_a_default_turned_off_allows_strangers_and_names_itself(
    question: Question, setting: Setting
) -> None:
    child = Subject(AgeBand.AGE_16_17, turned_on=frozenset({setting}))
    result = answer(question, child, STRANGER)
    assert result.allowed and result.setting is setting


def test_shared_location_reaches_connections_only() -> None:
    child = Subject(AgeBand.AGE_13_15, turned_on=frozenset({Setting.LOCATION_SHARING}))
    assert not answer(Question.LOCATION, child, STRANGER).allowed
    shown = answer(Question.LOCATION, child, CONNECTED)
    assert shown.allowed and shown.setting is Setting.LOCATION_SHARING


def test_every_setting_has_a_prompt_with_help_in_each_built_in_locale() -> None:
    guidance = Guidance.load()
    assert {s.value for s in Setting} <= set(TOPICS)
    for locale in ("en-GB", "en-US"):
        for topic in TOPICS:
            prompt = guidance.prompt(topic, locale)
            assert prompt.locale == locale and prompt.text and prompt.help


def test_prompts_fall_back_by_language_then_default(tmp_path: Path) -> None:
    texts = {topic: {"title": f"T {topic}", "text": f"Texte {topic}"} for topic in TOPICS}
    path = tmp_path / "guidance.json"
    help_fr = [{"name": "3018", "url": "https://e-enfance.org/", "description": "aide"}]
    path.write_text(json.dumps({"locales": {"fr-FR": {"help": help_fr, "prompts": texts}}}))
    guidance = Guidance.load(path)
    assert guidance.prompt("public_profile", "fr-CA").locale == "fr-FR"
    assert guidance.prompt("public_profile", "fr-FR").help[0].name == "3018"
    assert guidance.prompt("public_profile", "de-DE").locale == "en-GB"
    assert guidance.prompt("public_profile", None).locale == "en-GB"


def test_a_guidance_file_missing_a_topic_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "guidance.json"
    path.write_text('{"locales": {"de-DE": {"prompts": {}}}}')
    with pytest.raises(ConfigError, match="de-DE lacks"):
        Guidance.load(path)


def test_a_platform_chooses_its_own_table() -> None:
    table = parse_may_turn_on("location_sharing=; public_profile=16-17")
    assert not may_turn_on(AgeBand.AGE_16_17, Setting.LOCATION_SHARING, table)  # locked
    assert not may_turn_on(AgeBand.AGE_13_15, Setting.PUBLIC_PROFILE, table)
    assert may_turn_on(AgeBand.AGE_16_17, Setting.PUBLIC_PROFILE, table)
    assert table[Setting.CONNECTION_SUGGESTIONS] == MAY_TURN_ON[Setting.CONNECTION_SUGGESTIONS]
    assert parse_may_turn_on("") == MAY_TURN_ON
    for bad in ("location_sharing=unknown", "location_sharing=18+", "teleport=16-17"):
        with pytest.raises(ConfigError, match="SAFEGUARD_CHILD_MAY_TURN_ON"):
            parse_may_turn_on(bad)
