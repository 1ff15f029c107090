"""Bounds on what a conversation costs and keeps: the features one message adds, the stored
state, how long message text lives, and what a database error may say.

The text is neutral phrasing or random letters; sizes are asserted, never times.
"""

from __future__ import annotations

import json
import logging
import math
import random
import secrets
import string
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from safeguard.conversations.cues import detect
from safeguard.conversations.features import (
    MAX_SCORED_CHARS,
    bounded_message_counts,
    message_counts,
)
from safeguard.conversations.model import RiskModel
from safeguard.conversations.retention import ExpiredTextEraser, erase_expired_text
from safeguard.conversations.service import ConversationService, IncomingMessage
from safeguard.conversations.stream import MAX_CUE_MESSAGES, ConversationState
from safeguard.store.db import Database
from safeguard.store.models import ConversationMessage, utcnow
from tests.integration.server import Cli, environment

# The snapshot of a full window of worst-case messages stays under this (docs/conversations.md).
SNAPSHOT_BOUND_BYTES = 256 * 1024
# A message adds at most 3.5 slots a character scored, and its cues.
MAX_MESSAGE_SLOTS = 3_510
MEETING = "lets meet up at the park"
SENT = datetime(2026, 11, 24, tzinfo=UTC)
HOUR = timedelta(hours=1)


def random_text(rng: random.Random, length: int) -> str:
    """Random lowercase letters and spaces: about the most distinct features per character."""
    return "".join(rng.choice(string.ascii_lowercase + " ") for _ in range(length))


def test_thirty_long_random_messages_keep_the_snapshot_small() -> None:
    model = RiskModel.default()
    state = ConversationState(model)
    rng = random.Random(16)
    for _ in range(30):
        state.add(random_text(rng, 10_000))
    assert len(state.window) == model.window == 30
    assert all(len(counts) <= MAX_MESSAGE_SLOTS for counts in state.window)
    snapshot = json.dumps(state.snapshot())
    assert len(snapshot.encode()) < SNAPSHOT_BOUND_BYTES
    copy = ConversationState.restore(model, json.loads(snapshot))
    assert list(copy.window) == list(state.window)
    assert math.isclose(copy.log_odds(), state.log_odds(), rel_tol=1e-9)


def test_a_message_is_scored_on_its_first_characters_and_searched_whole() -> None:
    rng = random.Random(3)
    head = random_text(rng, MAX_SCORED_CHARS)
    assert detect(head) == []
    first, second = (bounded_message_counts(head + random_text(rng, 5_000)) for _ in range(2))
    assert first == second  # what follows the first characters adds no features...
    counts, names = bounded_message_counts(f"{head} {MEETING}")
    assert names == ["meeting"]  # ...but its cues are found and counted
    assert sum((counts - first[0]).values()) == 1 and not first[0] - counts
    short = "shall we meet at the library at noon"
    assert bounded_message_counts(short) == message_counts(short)


def test_each_cue_lists_its_first_messages_and_each_message_its_own() -> None:
    model = RiskModel.default()
    state = ConversationState(model)
    for _ in range(MAX_CUE_MESSAGES + 5):
        outcome = state.add(MEETING)
    assert outcome.message_cues == ["meeting"]
    assert state.cues["meeting"].messages == list(range(MAX_CUE_MESSAGES))
    copy = ConversationState.restore(model, json.loads(json.dumps(state.snapshot())))
    assert copy.cues == state.cues


def test_snapshots_written_before_packing_still_restore() -> None:
    model = RiskModel.default()
    state = ConversationState(model)
    for words in ("see you at the library", "bring the football", MEETING):
        state.add(words, "16-17")
    older = state.snapshot() | {"window": [list(c.items()) for c in state.window]}
    copy = ConversationState.restore(model, json.loads(json.dumps(older)))
    assert list(copy.window) == list(state.window) and copy.cues == state.cues
    assert math.isclose(copy.add("at noon").risk, state.add("at noon").risk, rel_tol=1e-9)


def chat(db: Database, retention: timedelta = HOUR) -> ConversationService:
    return ConversationService(db, RiskModel.default(), retention)


def send(service: ConversationService, conversation: str, words: str) -> None:
    service.add_message("tests", conversation, IncomingMessage("a", words, SENT))


def age_all(db: Database, by: timedelta) -> None:
    """Make every message stored so far look received ``by`` ago."""
    with db.session() as session:
        session.execute(update(ConversationMessage).values(received_at=utcnow() - by))


def texts(db: Database) -> list[str | None]:
    with db.session() as session:
        query = select(ConversationMessage.text).order_by(ConversationMessage.id)
        return list(session.scalars(query))


def eventually(condition: Callable[[], bool]) -> bool:
    """Whether ``condition`` holds within a bounded number of polls."""
    for _ in range(500):
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_expired_text_is_erased_on_schedule_without_new_messages(db: Database) -> None:
    eraser = ExpiredTextEraser(db, HOUR, interval=timedelta(milliseconds=20))
    eraser.start()
    try:
        send(chat(db), "quiet", MEETING)
        age_all(db, 2 * HOUR)  # and no message follows in any conversation
        assert eventually(lambda: texts(db) == [None])
    finally:
        eraser.stop()
    with db.session() as session:
        assert session.scalars(select(ConversationMessage.cues)).first() == ["meeting"]


def test_erasing_goes_in_batches_and_counts_what_it_erased(db: Database) -> None:
    service = chat(db)
    for n in range(7):
        send(service, "long", f"note {n}")
    age_all(db, 2 * HOUR)
    send(service, "long", "a recent note")
    assert erase_expired_text(db, HOUR, batch=3) == 7
    assert texts(db) == [None] * 7 + ["a recent note"]
    assert erase_expired_text(db, HOUR, batch=3) == 0


def test_the_eraser_survives_database_errors_and_logs_no_text(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="safeguard.conversations")
    words = f"note {secrets.token_hex(8)}"
    send(chat(db), "c", words)
    age_all(db, 2 * HOUR)
    rename_messages(db, "conversation_messages", "parked_messages")
    eraser = ExpiredTextEraser(db, HOUR, interval=timedelta(milliseconds=20))
    eraser.start()
    try:
        assert eventually(lambda: bool(caplog.records))
        rename_messages(db, "parked_messages", "conversation_messages")
        assert eventually(lambda: texts(db) == [None])
    finally:
        eraser.stop()
    for record in caplog.records:
        line = record.getMessage()
        assert line.startswith("erasing expired message text failed (")
        assert "\n" not in line and words not in line and record.exc_info is None


def rename_messages(db: Database, old: str, new: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


def test_the_cli_erases_expired_text(database_url: str, tmp_path: Path) -> None:
    db = Database(database_url)
    send(chat(db), "c", "see you at the library")
    age_all(db, 2 * HOUR)
    send(chat(db), "c", "bring the football")
    cli = Cli(environment(tmp_path / "data", database_url, SAFEGUARD_MESSAGE_RETENTION_HOURS="1"))
    assert cli.ok("conversations", "erase-expired").strip() == (
        "erased the text of 1 expired messages"
    )
    assert texts(db) == [None, "bring the football"]
    db.dispose()


def test_a_database_error_does_not_quote_the_message(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service = chat(db)
    send(service, "c", "see you at the library")
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE conversation_messages"))
    sender, recipient = f"sender-{secrets.token_hex(8)}", f"friend-{secrets.token_hex(8)}"
    words = f"shall we meet at noon {secrets.token_hex(8)}"
    incoming = IncomingMessage(sender, words, SENT, recipient_ids=(recipient,))
    with pytest.raises(DBAPIError) as caught:
        service.add_message("tests", "c", incoming)
    logging.getLogger("tests").error("storing failed", exc_info=caught.value)
    written = "".join(traceback.format_exception(caught.value)) + caplog.text
    assert "conversation_messages" in written  # the error and its statement are there
    for value in (sender, recipient, words):
        assert value not in written
