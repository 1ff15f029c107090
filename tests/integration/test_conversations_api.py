"""Conversations over real HTTP, on SQLite and PostgreSQL: streaming scores, the review
queue, the audit log and text retention. A test model makes a neutral word risky, so the
flag can be driven with everyday text."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import select

from safeguard import events
from safeguard.conversations.features import DIMENSIONS, message_counts
from safeguard.conversations.model import RiskModel
from safeguard.conversations.retention import erase_expired_text
from safeguard.conversations.service import (
    ConversationService,
    IncomingMessage,
)
from safeguard.events import ConversationAgeCue, ConversationFlagged
from safeguard.moderation.priority import Priority
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade
from safeguard.store.models import ConversationMessage, ReviewItem
from tests.integration.server import Server, environment, start_server
from tests.integration.ui import browser, log_in, make_user

RISKY_WORD = "pineapple"


def risky_word_model(path: Path) -> Path:
    weights = np.zeros(DIMENSIONS, dtype=np.float32)
    for slot in message_counts(RISKY_WORD)[0]:
        weights[slot] = 8.0
    RiskModel(weights, np.ones(DIMENSIONS, np.float32), -3.0, 0.8, 3, {"purpose": "tests"}).save(
        path
    )
    return path


@pytest.fixture
def chat_server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    env = environment(
        tmp_path / "data",
        database_url,
        SAFEGUARD_CONVERSATION_MODEL=str(risky_word_model(tmp_path / "model.npz")),
    )
    running = start_server(env)
    try:
        yield running
    finally:
        running.stop()


def test_the_threshold_setting_replaces_the_models(database_url: str, tmp_path: Path) -> None:
    env = environment(
        tmp_path / "data",
        database_url,
        SAFEGUARD_CONVERSATION_MODEL=str(risky_word_model(tmp_path / "model.npz")),
        SAFEGUARD_CONVERSATION_THRESHOLD="0.01",
    )
    running = start_server(env)
    try:
        url = "/v1/conversations/chat-1/messages"
        body = running.client.post(url, json=message("hello, how was school?")).json()
        assert body["threshold"] == 0.01 and 0.01 < body["risk"] < 0.8  # the model's is 0.8
        assert body["flagged"] and body["review_item_id"]
    finally:
        running.stop()


def message(text: str, sender: str = "a", **extra: object) -> dict[str, object]:
    return {"sender_id": sender, "text": text, "sent_at": "2026-11-24T10:00:00Z"} | extra


def test_messages_update_the_risk_and_a_crossing_opens_a_review_item(
    chat_server: Server, database_url: str
) -> None:
    client = chat_server.client
    url = "/v1/conversations/chat-1/messages"
    first = client.post(url, json=message("hello, how was school?"))
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["message_index"] == 0 and body["flagged"] is False
    assert body["risk"] < 0.8 and body["review_item_id"] is None
    client.post(url, json=message("fine, we had a quiz", "b", sender_age_band="13-15"))
    crossing = client.post(url, json=message(f"i had {RISKY_WORD} on pizza", "a")).json()
    assert crossing["flagged"] and crossing["first_flag_index"] == 2
    assert crossing["review_item_id"]
    # No cue explains the flag: the answer names the words that weighed most.
    assert crossing["cues"] == [] and crossing["weighed_most"][0]["text"] == RISKY_WORD
    assert crossing["model_languages"] == ["en"] and "fr" in crossing["cue_languages"]
    later = client.post(url, json=message(f"more {RISKY_WORD}", "a", sender_age_band="18+"))
    assert later.json()["review_item_id"] is None  # one review item per conversation
    names = {c["name"] for c in later.json()["cues"]}
    assert "age_gap" in names
    state = client.get("/v1/conversations/chat-1").json()
    assert state["messages"] == 4 and state["first_flag_index"] == 2
    assert state["cues"][0]["description"].startswith("the platform's age bands")
    # The age gap says nothing of the words: they are read back from the stored text.
    assert state["weighed_most"][0]["text"] == RISKY_WORD
    queue = client.get("/v1/review-items").json()["items"]
    assert [(i["kind"], i["conversation_id"]) for i in queue] == [("conversation", "chat-1")]
    assert queue[0]["reason"]["first_flag_index"] == 2 and "cues" in queue[0]["reason"]
    db = Database(database_url)
    with db.session() as session:
        [event] = events.read_events(session, kinds=[ConversationFlagged.kind])
        assert (event.client, event.subject) == ("tests", "chat-1")
        assert event.details["first_flag_index"] == 2 and "cues" in event.details
        texts = session.scalars(select(ConversationMessage.text)).all()
        assert len(texts) == 4 and all(texts)
    db.dispose()

    # The item's page shows who took part and the messages that raised the risk.
    make_user(chat_server.cli, "mo", "moderator")
    with browser(chat_server) as ui:
        log_in(ui, "mo")
        page = ui.get(f"/ui/items/{queue[0]['id']}").text
    for shown in ("Participants", "age band 13-15", "Messages that raised the risk"):
        assert shown in page
    assert f"i had {RISKY_WORD} on pizza" in page and "hello, how was school?" not in page


def test_conversations_are_separate_per_client(chat_server: Server) -> None:
    other_key = chat_server.cli.ok("apikey", "create", "other").strip().splitlines()[-1]
    chat_server.client.post("/v1/conversations/c/messages", json=message(RISKY_WORD))
    other = chat_server.client.get(
        "/v1/conversations/c", headers={"Authorization": f"Bearer {other_key}"}
    )
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")


BAD_MESSAGES = [
    {"text": "hi", "sent_at": "2026-11-24T10:00:00Z"},
    {"sender_id": "a", "text": "x" * 10_001, "sent_at": "2026-11-24T10:00:00Z"},
    {"sender_id": "a", "text": "hi", "sent_at": "yesterday"},
    {"sender_id": "a", "text": "hi", "sent_at": "2026-11-24T10:00:00Z", "sender_age_band": "9"},
    {"sender_id": "a", "text": 5, "sent_at": "2026-11-24T10:00:00Z"},
]


def test_bad_messages_get_problem_json(chat_server: Server) -> None:
    for body in BAD_MESSAGES:  # one server for all: each start costs seconds
        response = chat_server.client.post("/v1/conversations/c/messages", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"].startswith("application/problem+json")
    assert chat_server.client.get("/v1/conversations/c").status_code == 404


def test_text_is_erased_after_the_retention_period(database_url: str, tmp_path: Path) -> None:
    upgrade(database_url)
    db = Database(database_url)
    model = RiskModel.load(risky_word_model(tmp_path / "model.npz"))
    keeping = ConversationService(db, model, timedelta(hours=1))
    sent = datetime(2026, 11, 24, tzinfo=UTC)
    keeping.add_message("c", "x", IncomingMessage("a", "first message", sent))
    with db.session() as session:
        old = session.scalars(select(ConversationMessage)).one()
        old.received_at = datetime.now(UTC) - timedelta(hours=2)
    keeping.add_message("c", "x", IncomingMessage("a", "second message", sent))
    assert erase_expired_text(db, timedelta(hours=1)) == 1
    assert texts(db) == [None, "second message"]
    ConversationService(db, model, timedelta(0)).add_message(
        "c", "x", IncomingMessage("a", "third message", sent)
    )
    assert texts(db) == [None, "second message", None]  # a retention of zero stores none
    assert erase_expired_text(db, timedelta(0)) == 1
    assert texts(db) == [None, None, None]
    with db.session() as session:
        assert session.scalars(select(ReviewItem)).all() == []
    db.dispose()


def texts(db: Database) -> list[str | None]:
    with db.session() as session:
        query = select(ConversationMessage.text).order_by(ConversationMessage.position)
        return list(session.scalars(query))


def test_concurrent_messages_are_all_kept_in_order(chat_server: Server) -> None:
    def send(thread: int) -> list[int]:
        with httpx.Client(base_url=chat_server.base_url, headers=headers, timeout=60) as client:
            positions = []
            for n in range(8):
                response = client.post(
                    "/v1/conversations/busy/messages", json=message(f"note {thread} {n}")
                )
                assert response.status_code == 200, response.text
                positions.append(response.json()["message_index"])
            return positions

    headers = {"Authorization": f"Bearer {chat_server.key}"}
    with ThreadPoolExecutor(max_workers=6) as pool:
        positions = [p for batch in pool.map(send, range(6)) for p in batch]
    assert sorted(positions) == list(range(48))
    assert chat_server.client.get("/v1/conversations/busy").json()["messages"] == 48


def test_age_cues_follow_up_alike_streamed_or_in_a_transcript(
    chat_server: Server, database_url: str
) -> None:
    client = chat_server.client
    lines = [
        ("kid", "i'm 12 and in year 7, how was your day", "13-15"),
        ("grown", "good thanks", "18+"),
        ("grown", f"{RISKY_WORD} pizza", "18+"),
        ("kid", "nice, see you at the park", "13-15"),
    ]
    url = "/v1/conversations/ages/messages"
    first, alert, flag, last = (
        client.post(url, json=message(text, sender, sender_age_band=band)).json()
        for sender, text, band in lines
    )
    assert first["review_item_id"] is None and first["age_alert_index"] is None  # no adult yet
    [cue] = first["cues"]
    assert cue["name"] == "child_age_disclosure" and cue["messages"] == [0]
    assert "child" in cue["description"]
    assert alert["age_alert_index"] == 1 and alert["review_item_id"]
    assert not alert["flagged"]  # the risk is the model's alone
    assert flag["flagged"] and flag["review_item_id"] == alert["review_item_id"]  # one item

    # The same conversation as one transcript: the same answer, its own item.
    transcript = {
        "text": "\n".join(f"{sender}: {text}" for sender, text, _ in lines),
        "sent_at": "2026-11-24T10:00:00Z",
        "sender_age_bands": {"kid": "13-15", "grown": "18+"},
    }
    whole = client.post("/v1/conversations/reported/transcript", json=transcript)
    assert whole.status_code == 200, whole.text
    ids = {"conversation_id", "review_item_id"}
    assert {k: v for k, v in whole.json().items() if k not in ids} == {
        k: v for k, v in last.items() if k not in ids
    }
    assert whole.json()["message_index"] == 3 and whole.json()["review_item_id"]
    refused = client.post(
        "/v1/conversations/other/transcript", json=transcript | {"text": "no name here"}
    )
    assert refused.status_code == 400 and "Name: text" in refused.json()["detail"]
    assert client.get("/v1/conversations/other").status_code == 404

    # A child's band stating an adult age raises the item a flag opened.
    flagged_url = "/v1/conversations/flagged-first/messages"
    opened = client.post(flagged_url, json=message(RISKY_WORD, "grown", sender_age_band="18+"))
    claimed = message("i'm 25 actually", "kid", sender_age_band="under-13")
    raised = client.post(flagged_url, json=claimed).json()
    assert raised["review_item_id"] == opened.json()["review_item_id"]
    assert [c["name"] for c in raised["cues"]] == ["adult_age_claim_by_child", "age_gap"]
    queue = client.get("/v1/review-items").json()["items"]
    assert sorted((i["conversation_id"], i["priority"]) for i in queue) == [
        ("ages", Priority.AGE_CUE_WITH_ADULT),
        ("flagged-first", Priority.AGE_CUE_WITH_ADULT),  # raised from a flag's
        ("reported", Priority.AGE_CUE_WITH_ADULT),
    ]
    ages = next(i for i in queue if i["conversation_id"] == "ages")
    assert ages["reason"]["age_alert_index"] == 1 and ages["reason"]["first_flag_index"] == 2
    db = Database(database_url)
    with db.session() as session:
        cued = events.read_events(session, kinds=[ConversationAgeCue.kind])
        assert sorted(e.subject for e in cued) == ["ages", "flagged-first", "reported"]
    db.dispose()
