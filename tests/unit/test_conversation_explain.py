"""Age alerts in the stream, the words behind an unexplained flag, the answer's fields and
transcripts. All text is neutral; a test model makes chosen everyday words risky."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from safeguard.conversations.explain import answer, weighed_most
from safeguard.conversations.features import DIMENSIONS, message_counts
from safeguard.conversations.model import RiskModel
from safeguard.conversations.scoring import (
    parse_age_bands,
    score_conversation,
    score_transcript,
)
from safeguard.conversations.stream import ConversationState
from safeguard.conversations.transcript import MAX_TRANSCRIPT_MESSAGES, parse_transcript
from safeguard.errors import BadRequest

CHAT = [
    ("sam", "hi, how was school?"),
    ("alex", "fine, we had a pineapple quiz"),
    ("sam", "pineapple again? at the park later"),
    ("alex", "ok see you there"),
]


def word_model(words: dict[str, float], threshold: float = 0.8, ramp: int = 1) -> RiskModel:
    """A model whose only non-zero weights are those of the given words' features."""
    weights = np.zeros(DIMENSIONS, dtype=np.float32)
    for word, weight in words.items():
        for slot in message_counts(word)[0]:
            weights[slot] = weight
    idf = np.ones(DIMENSIONS, np.float32)
    return RiskModel(weights, idf, -3.0, threshold, 30, {"purpose": "tests"}, ramp)


def test_an_age_cue_alerts_once_when_the_conversation_has_an_adult() -> None:
    state = ConversationState(word_model({}))
    quiet = state.add("i'm 12 and in year 7", "13-15")
    assert quiet.message_cues == ["child_age_disclosure"] and not quiet.age_alert_now
    assert state.add("cool", None).age_alert_now is False
    joined = state.add("hello there", "18+")  # the adult arrives: the earlier cue counts
    assert joined.age_alert_now and state.age_alert_index == 2
    assert not state.add("i'm 12 too", "13-15").age_alert_now  # once per conversation
    assert state.cues["child_age_disclosure"].messages == [0, 3]
    copy = ConversationState.restore(state.model, json.loads(json.dumps(state.snapshot())))
    assert copy.age_alert_index == 2
    old = state.snapshot()
    del old["age_alert_index"]  # snapshots from before age cues
    assert ConversationState.restore(state.model, old).age_alert_index is None


def test_an_adult_age_from_a_child_band_alerts_and_age_cues_leave_the_risk_alone() -> None:
    model = word_model({"pineapple": 4.0})
    state = ConversationState(model)
    state.add("hello", "18+")
    claimed = state.add("i'm 25, pineapple", "13-15")
    assert claimed.message_cues == ["adult_age_claim_by_child", "age_gap"]
    assert claimed.age_alert_now
    counts = message_counts("hello")[0] + message_counts("i'm 25, pineapple")[0]
    expected = model.log_odds(counts, messages=2) + 0.5  # the age gap's nudge only
    assert math.isclose(state.log_odds(), expected, rel_tol=1e-9)
    assert ConversationState(model).add("i'm 25", "18+").message_cues == []


def test_the_words_that_weighed_most_add_up_to_the_windows_evidence() -> None:
    model = word_model({"pineapple": 3.0, "quiz": 1.0}, ramp=8)
    state = ConversationState(model)
    texts = [text for _, text in CHAT]
    for text in texts:
        state.add(text)
    found = weighed_most(state, texts, limit=100)
    assert [p["text"] for p in found][:2] == ["pineapple", "quiz"]  # punctuation stripped
    total = sum(float(p["log_odds"]) for p in found)  # type: ignore[arg-type]
    assert math.isclose(total, state.log_odds() - model.bias, abs_tol=0.01)
    assert len(weighed_most(state, texts)) <= 5
    assert weighed_most(state, texts[:1]) == []  # the risky words' text is no longer held
    assert weighed_most(ConversationState(model), texts) == []


def test_the_answer_names_the_words_only_for_a_flag_no_text_cue_explains() -> None:
    model = word_model({"pineapple": 8.0})
    state = ConversationState(model)
    for _, text in CHAT[:2]:
        state.add(text)
    asked: list[int] = []

    def texts() -> list[str]:
        asked.append(1)
        return [text for _, text in CHAT[:2]]

    view = answer("c1", state, texts)
    assert view["flagged"] and view["cues"] == [] and asked == [1]
    assert view["weighed_most"][0]["text"] == "pineapple"  # type: ignore[index]
    assert view["model_languages"] == ["en"] and view["cue_languages"] == ["en", "es", "de", "fr"]
    state.add("lets meet up at the park")
    explained = answer("c1", state, texts)
    assert explained["weighed_most"] == [] and asked == [1]  # a cue explains it: no reading
    assert explained["cues"] == [
        {
            "name": "meeting",
            "description": "arranges to meet in person",
            "messages": [2],
        }
    ]


def test_a_transcript_is_parsed_into_its_speakers_messages() -> None:
    text = "[10:04] sam: hi\n\n alex : hello\nsecond line: of alex\nsam:\nsee http://a.b"
    parsed = parse_transcript(text)
    assert [(m.speaker, m.text) for m in parsed] == [
        ("sam", "hi"),
        ("alex", "hello"),
        ("second line", "of alex"),
        ("sam", "\nsee http://a.b"),
    ]
    with pytest.raises(BadRequest, match="line 1: expected 'Name: text'"):
        parse_transcript("hello there\nsam: hi")
    with pytest.raises(BadRequest, match="no message"):
        parse_transcript("\n \n")
    with pytest.raises(BadRequest, match=f"at most {MAX_TRANSCRIPT_MESSAGES}"):
        parse_transcript("sam: hi\n" * (MAX_TRANSCRIPT_MESSAGES + 1))


def test_a_transcript_scores_like_its_messages_streamed_and_not_like_one_message() -> None:
    model = word_model({"pineapple": 2.0}, ramp=3)
    lines = "\n".join(f"{name}: {text}" for name, text in CHAT)
    bands = {"sam": "18+", "alex": "13-15"}
    streamed = score_conversation(
        model,
        "c",
        [{"text": text, "sender_age_band": bands[name]} for name, text in CHAT],
    )
    assert score_transcript(model, "c", lines, bands) == streamed
    assert streamed["flagged"] and streamed["first_flag_index"] == 2
    assert streamed["weighed_most"][0]["text"] == "pineapple"  # type: ignore[index]
    one = score_conversation(model, "c", [{"text": lines}])
    assert not one["flagged"]  # one message is a third of the ramp
    strict = replace(model, ramp=1)
    assert score_conversation(strict, "c", [{"text": lines}])["flagged"]


def test_speakers_age_bands_are_given_as_name_equals_band() -> None:
    assert parse_age_bands(["sam=18+", "alex b=13-15"]) == {"sam": "18+", "alex b": "13-15"}
    for bad in ("sam", "=18+", "sam=adult"):
        with pytest.raises(BadRequest, match="NAME=BAND"):
            parse_age_bands([bad])
