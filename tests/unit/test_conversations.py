"""Conversation safety: cues, the streaming scorer, the model file and the shipped model.

All text here is neutral, everyday phrasing; the research corpora are only read by the
tests marked as needing ../shared.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.config import Settings
from safeguard.conversations.corpus import load_corpus
from safeguard.conversations.cues import CUE_NAMES, detect, is_age_gap
from safeguard.conversations.evaluation import (
    CrossValidation,
    choose_threshold,
    cross_validate,
    platt_scaling,
)
from safeguard.conversations.features import DIMENSIONS, message_counts
from safeguard.conversations.model import RiskModel, sigmoid
from safeguard.conversations.scoring import score_lines
from safeguard.conversations.stream import ConversationState
from safeguard.conversations.training import featurise
from safeguard.errors import BadRequest, ConfigError
from tests.conftest import FIXTURES

FALSE_ALARMS = FIXTURES / "conversations" / "false_alarms.jsonl"
WORDS = ["hello", "school", "game", "pizza", "park", "homework", "football", "film", "cat"]


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("how old are you btw", "age_probing"),
        ("what grade are you in", "age_probing"),
        ("dont tell mum about the party", "secrecy"),
        ("keep it between us until friday", "secrecy"),
        ("are you home alone right now", "isolation"),
        ("where are your parents tonight", "isolation"),
        ("add me on discord", "platform_move"),
        ("whats your number", "platform_move"),
        ("send me a photo of your homework", "image_request"),
        ("i sent you some money for your birthday", "gifts_money"),
        ("lets meet up at the park", "meeting"),
        ("give grandma a kiss goodnight", "sexualised_language"),
    ],
)
def test_cues_fire_on_their_phrases(text: str, cue: str) -> None:
    assert cue in detect(text)


def test_plain_messages_trigger_nothing() -> None:
    assert detect("the match starts at seven, bring your boots") == []
    assert set(CUE_NAMES) >= {"age_probing", "age_gap"}


def test_age_gap_needs_an_adult_and_a_child() -> None:
    assert is_age_gap({"18+", "13-15"})
    assert not is_age_gap({"13-15", "16-17"})
    assert not is_age_gap({"18+"})


def random_model(seed: int, window: int, threshold: float = 0.5) -> RiskModel:
    rng = np.random.default_rng(seed)
    weights = rng.normal(0, 1, DIMENSIONS).astype(np.float32)
    idf = rng.uniform(1, 8, DIMENSIONS).astype(np.float32)
    return RiskModel(weights, idf, -0.2, threshold, window)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 1000),
    window=st.integers(1, 6),
    ramp=st.integers(1, 5),
    messages=st.lists(st.lists(st.sampled_from(WORDS), max_size=6), min_size=1, max_size=15),
)
def test_streaming_risk_equals_scoring_the_window_from_scratch(
    seed: int, window: int, ramp: int, messages: list[list[str]]
) -> None:
    model = replace(random_model(seed, window), ramp=ramp)
    state = ConversationState(model)
    texts = [" ".join(words) for words in messages]
    for i, text in enumerate(texts):
        risk = state.add(text).risk
        recent: Counter[int] = Counter()
        for earlier in texts[max(0, i + 1 - window) : i + 1]:
            recent.update(message_counts(earlier)[0])
        expected = sigmoid(model.log_odds(recent, messages=i + 1))
        assert math.isclose(risk, expected, rel_tol=1e-9, abs_tol=1e-12)


def test_the_first_messages_count_in_proportion_until_the_ramp() -> None:
    model = replace(random_model(5, 30), ramp=4)
    counts = message_counts("football practice at the park")[0]
    whole = model.log_odds(counts) - model.bias
    for messages in range(1, 7):
        share = min(1.0, messages / 4)
        assert math.isclose(model.log_odds(counts, messages) - model.bias, share * whole)


def test_snapshot_and_restore_continue_identically() -> None:
    model = random_model(3, 4)
    first, texts = ConversationState(model), [f"{w} {w} at school" for w in WORDS]
    for text in texts[:5]:
        first.add(text, "13-15")
    copy = ConversationState.restore(model, json.loads(json.dumps(first.snapshot())))
    for text in texts[5:]:
        a, b = first.add(text, "18+"), copy.add(text, "18+")
        assert math.isclose(a.risk, b.risk, rel_tol=1e-12)
        assert (a.flagged, a.first_flag_index, a.cues) == (
            b.flagged,
            b.first_flag_index,
            b.cues,
        )
    assert any(hit.name == "age_gap" for hit in copy.cues.values())


def test_snapshots_from_before_the_rename_restore_their_cues() -> None:
    model = random_model(3, 4)
    state = ConversationState(model)
    state.add("dont tell anyone", "13-15")
    old = state.snapshot()
    old["signals"] = old.pop("cues")
    copy = ConversationState.restore(model, old)
    assert copy.cues == state.cues and copy.snapshot() == state.snapshot()


def test_first_flag_index_is_where_the_threshold_is_first_crossed() -> None:
    weights = np.zeros(DIMENSIONS, dtype=np.float32)
    for slot in message_counts("pizza")[0]:
        weights[slot] = 10.0
    model = RiskModel(weights, np.ones(DIMENSIONS, np.float32), -3.0, 0.9, 2)
    state = ConversationState(model)
    outcomes = [state.add(text) for text in ["hello", "game", "pizza", "hello", "hello", "hello"]]
    assert [o.crossed_now for o in outcomes] == [False, False, True, False, False, False]
    assert outcomes[-1].first_flag_index == 2 and outcomes[-1].flagged
    assert outcomes[-1].risk < model.threshold  # the window has moved on; the flag stays


def test_model_file_round_trip_and_bad_files(tmp_path: Path) -> None:
    model = random_model(1, 7, 0.8)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = RiskModel.load(path)
    assert (loaded.threshold, loaded.window, loaded.ramp) == (0.8, 7, 1)
    np.testing.assert_allclose(loaded.weights, model.weights, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(loaded.idf, model.idf, rtol=1e-3)
    (tmp_path / "bad.npz").write_bytes(b"not a model")
    with pytest.raises(BadRequest):
        RiskModel.load(tmp_path / "bad.npz")
    replace(model, ramp=0).save(tmp_path / "no-ramp.npz")
    with pytest.raises(BadRequest, match="at least 1"):
        RiskModel.load(tmp_path / "no-ramp.npz")


def test_calibration_maps_the_log_odds_linearly() -> None:
    model = random_model(2, 5)
    calibrated = model.calibrated(0.5, -1.0, 0.7)
    counts = message_counts("homework at the park")[0]
    assert math.isclose(calibrated.log_odds(counts), 0.5 * model.log_odds(counts) - 1.0)
    assert calibrated.threshold == 0.7


def test_platt_scaling_recovers_a_known_calibration() -> None:
    rng = np.random.default_rng(0)
    log_odds = rng.normal(0, 3, 20_000)
    labels = (rng.random(20_000) < 1 / (1 + np.exp(-(0.5 * log_odds - 1.0)))).astype(int)
    scale, shift = platt_scaling(log_odds, labels)
    assert abs(scale - 0.5) < 0.05 and abs(shift + 1.0) < 0.1


def test_the_threshold_is_the_best_segment_f_half_within_the_false_alarm_budget() -> None:
    quiet, loud = np.array([0.1, 0.2]), np.array([0.1, 0.95])
    cv = CrossValidation(
        segment_risks=np.array([0.9, 0.88, 0.3, 0.85, 0.2]),
        labels=np.array([1, 1, 1, 0, 0]),
        segment_streams=[np.array([0.9]), np.array([0.88]), np.array([0.3]), loud, quiet],
    )
    assert choose_threshold(cv, budget=0.5) == 0.88  # the highest that misses the 0.85
    assert choose_threshold(cv, budget=0.0) == 0.99  # every threshold below flags a stream


def test_a_chosen_threshold_replaces_the_models(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    random_model(4, 3, 0.8).save(path)
    assert RiskModel.chosen(path).threshold == 0.8
    assert RiskModel.chosen(path, 0.3).threshold == 0.3
    assert RiskModel.chosen(None).threshold == RiskModel.default().threshold
    settings = Settings.from_env({"SAFEGUARD_CONVERSATION_THRESHOLD": "0.7"})
    assert settings.conversation_threshold == 0.7
    for bad in ("high", "0", "1.2"):
        with pytest.raises(ConfigError, match="SAFEGUARD_CONVERSATION_THRESHOLD"):
            Settings.from_env({"SAFEGUARD_CONVERSATION_THRESHOLD": bad})


def test_the_shipped_model_records_its_training() -> None:
    model = RiskModel.default()
    assert 0.5 <= model.threshold < 1.0
    assert model.about["data"]["predator_conversations"] > 0
    assert "segment_auroc" in model.about["cross_validated"]


def test_benign_conversations_with_grooming_cues_are_not_flagged() -> None:
    results = list(score_lines(RiskModel.default(), FALSE_ALARMS.read_text().splitlines()))
    assert len(results) == 8
    for result in results:
        assert not result["flagged"], result["conversation_id"]
    cues = {c["name"] for r in results for c in r["cues"]}  # type: ignore[attr-defined]
    assert cues >= {"secrecy", "isolation", "age_probing", "platform_move", "image_request"}


@pytest.mark.parametrize(
    "line",
    ["not json", "[1]", '{"messages": []}', '{"conversation_id": "a", "messages": [{"x": 1}]}'],
)
def test_bad_lines_are_refused_with_their_line_number(line: str) -> None:
    with pytest.raises(BadRequest, match="line 1"):
        list(score_lines(RiskModel.default(), [line]))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a,b\n1,2\n", "expected the columns segment,label"),
        (b"segment,label\nhello there,yes\n", "line 2: label must be 0 or 1"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"segment,label\nhello there,0\nsee you,0\n", "both kinds"),
    ],
)
def test_bad_corpora_are_refused_with_a_clear_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "vtpan_segments_dev.csv").write_bytes(content)
    with pytest.raises(BadRequest, match=message):
        featurise(load_corpus([tmp_path]))


def test_too_few_segments_for_the_folds_are_refused(tmp_path: Path) -> None:
    rows = "".join(f"a note about the {word},{n % 2}\n" for n, word in enumerate(WORDS[:6]))
    (tmp_path / "vtpan_segments_dev.csv").write_text("segment,label\n" + rows)
    with pytest.raises(BadRequest, match="5-fold"):
        cross_validate(featurise(load_corpus([tmp_path])), folds=5)
    with pytest.raises(BadRequest, match=r"no vtpan_segments_dev\.csv"):
        load_corpus([tmp_path / "missing"])
