"""Scoring whole conversations given as JSON lines or as a transcript (``safeguard
conversations score``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from safeguard.conversations.cues import AGE_BANDS
from safeguard.conversations.explain import needs_phrases, weighed_most
from safeguard.conversations.model import RiskModel
from safeguard.conversations.stream import ConversationState
from safeguard.conversations.transcript import parse_transcript
from safeguard.errors import BadRequest


def parse_conversation(line: str, number: int) -> tuple[str, list[dict[str, Any]]]:
    """(conversation_id, messages) of one JSON line, validated."""
    where = f"line {number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"{where}: not JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise BadRequest(f"{where}: expected an object")
    conversation_id = record.get("conversation_id")
    messages = record.get("messages")
    if not isinstance(conversation_id, str | int) or isinstance(conversation_id, bool):
        raise BadRequest(f"{where}: conversation_id must be a string")
    if not isinstance(messages, list):
        raise BadRequest(f"{where}: messages must be a list")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("text"), str):
            raise BadRequest(f"{where}: message {index} needs a text string")
    return str(conversation_id), messages


def score_conversation(
    model: RiskModel, conversation_id: str, messages: list[dict[str, Any]]
) -> dict[str, object]:
    """Feed the messages in order; the final state, as the CLI prints it: the id, risk,
    flag, first flag and cues, then ``age_alert_index`` and ``weighed_most`` (the words
    behind a flag no text cue explains) when they have a value."""
    state = ConversationState(model)
    for message in messages:
        band = message.get("sender_age_band")
        state.add(message["text"], band if isinstance(band, str) else None)
    result: dict[str, object] = {
        "conversation_id": conversation_id,
        "risk": round(state.risk(), 4),
        "flagged": state.first_flag_index is not None,
        "first_flag_index": state.first_flag_index,
        "cues": [hit.as_dict() for hit in state.cues.values()],
    }
    if state.age_alert_index is not None:
        result["age_alert_index"] = state.age_alert_index
    if needs_phrases(state):
        window = [m["text"] for m in messages[len(messages) - len(state.window) :]]
        result["weighed_most"] = weighed_most(state, window)
    return result


def score_transcript(
    model: RiskModel, conversation_id: str, text: str, age_bands: dict[str, str]
) -> dict[str, object]:
    """``score_conversation`` of a transcript (``transcript.py``); ``age_bands`` gives
    speakers' age bands by name."""
    messages = [
        {"text": m.text, "sender_age_band": age_bands.get(m.speaker)}
        for m in parse_transcript(text)
    ]
    return score_conversation(model, conversation_id, messages)


def parse_age_bands(pairs: list[str]) -> dict[str, str]:
    """Speakers' age bands given as ``NAME=BAND``, by name; BadRequest for a bad one."""
    bands = {}
    for pair in pairs:
        name, _, band = pair.rpartition("=")
        if not name or band not in AGE_BANDS:
            raise BadRequest(f"age band {pair!r}: use NAME=BAND, BAND one of {AGE_BANDS}")
        bands[name] = band
    return bands


def score_lines(model: RiskModel, lines: Iterable[str]) -> Iterator[dict[str, object]]:
    """One result per non-blank line."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield score_conversation(model, *parse_conversation(line, number))
