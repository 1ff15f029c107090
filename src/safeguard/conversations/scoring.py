"""Scoring whole conversations given as JSON lines (``safeguard conversations score``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from safeguard.conversations.model import RiskModel
from safeguard.conversations.stream import ConversationState
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
    """Feed the messages in order; the final state, as the CLI prints it."""
    state = ConversationState(model)
    risk = state.risk()
    for message in messages:
        band = message.get("sender_age_band")
        risk = state.add(message["text"], band if isinstance(band, str) else None).risk
    return {
        "conversation_id": conversation_id,
        "risk": round(risk, 4),
        "flagged": state.first_flag_index is not None,
        "first_flag_index": state.first_flag_index,
        "cues": [hit.as_dict() for hit in state.cues.values()],
    }


def score_lines(model: RiskModel, lines: Iterable[str]) -> Iterator[dict[str, object]]:
    """One result per non-blank line."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield score_conversation(model, *parse_conversation(line, number))
