"""Migration 0005 (the generic schema) upgrades a database made at 0004 with nothing lost."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from safeguard import apikeys
from safeguard.banks import catalog
from safeguard.banks.models import NewEntry
from safeguard.screening.records import get_screening
from safeguard.screening.service import Requester, Screener
from safeguard.store.db import Database
from safeguard.store.migrate import downgrade, upgrade
from tests.conftest import postgres_database

MD5 = "9e107d9d372bb6826bd81d3542a419d6"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
KEY = "sg_old-key-of-acme"
T0 = "2026-01-02 03:04:05+00:00"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0004 holding banks, entries, screenings, a key, a
    conversation with a message, and a review item."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        _fill(url)
        yield url
    else:
        for url in postgres_database():
            _fill(url)
            yield url


def _fill(url: str) -> None:
    upgrade(url, "0004")
    engine = create_engine(url)
    statements = [
        "INSERT INTO banks (id, name, action, kind, pdq_threshold, created_at) VALUES "
        f"('b1', 'known', 'block', 'list', 20, '{T0}'), "
        f"('b2', 'maybe', 'review', 'list', 31, '{T0}')",
        "INSERT INTO entries (id, bank_id, signal_type, value, external_id, labels, source, "
        "enabled, created_at, updated_at) VALUES "
        f"(1, 'b1', 'md5', '{MD5}', 'case-7', '[\"a\", \"b\"]', 'ncmec', true, '{T0}', '{T0}'), "
        f"(2, 'b1', 'pdq', '{PDQ}', 'case-7', '[]', NULL, true, '{T0}', '{T0}'), "
        f"(3, 'b2', 'md5', '{'0' * 32}', NULL, '[]', NULL, false, '{T0}', '{T0}')",
        "INSERT INTO entry_changes (entry_id, changed_at) VALUES "
        f"(1, '{T0}'), (2, '{T0}'), (3, '{T0}')",
        "INSERT INTO api_keys (id, name, key_hash, created_at) VALUES "
        f"('k1', 'acme', '{hashlib.sha256(KEY.encode()).hexdigest()}', '{T0}')",
        "INSERT INTO screenings (id, created_at, client, source, content_id, uploader_id, md5, "
        "sha256, pdq, pdq_quality, decision, matches) VALUES "
        f"('s1', '{T0}', 'acme', 'upload', 'c1', 'u1', '{MD5}', '{'a' * 64}', '{PDQ}', 87, "
        '\'block\', \'[{"bank": "known", "entry_id": 1, "signal_type": "md5", '
        '"distance": 0, "effect": "block", "view": null}]\'), '
        f"('s2', '{T0}', 'acme', 'lookup', NULL, NULL, '{'1' * 32}', NULL, NULL, NULL, "
        "'allow', '[]')",
        "INSERT INTO conversations (id, client, external_id, state, message_count, risk, "
        f"first_flag_index, created_at, updated_at) VALUES ('c1', 'acme', 'chat-1', '{{}}', 1, "
        f"0.9, 0, '{T0}', '{T0}')",
        "INSERT INTO conversation_messages (conversation_id, position, sender_id, "
        "recipient_ids, sender_age_band, sent_at, text, signals, risk, received_at) VALUES "
        f"('c1', 0, 'u1', '[\"u2\"]', 'adult', '{T0}', 'hello', '[\"secrecy\"]', 0.9, '{T0}')",
        "INSERT INTO review_items (id, kind, client, conversation_id, screening_id, reason, "
        f"status, created_at) VALUES ('r1', 'screening', 'acme', NULL, 's1', '{{}}', 'open', "
        f"'{T0}')",
    ]
    if engine.dialect.name == "postgresql":  # the ids above were given, not drawn
        statements.append("SELECT setval(pg_get_serial_sequence('entries', 'id'), 3)")
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def _rows(engine: Engine, query: str) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


def test_upgrade_keeps_every_record(old_database: str) -> None:
    upgrade(old_database)
    db = Database(old_database)
    try:
        banks = {bank.name: bank for bank in catalog.list_banks(db)}
        assert banks["known"].thresholds == {"pdq": 20}
        assert banks["maybe"].thresholds == {"pdq": 31}
        assert (banks["known"].entries, banks["maybe"].enabled_entries) == (2, 0)
        entries = catalog.list_entries(db, "known", limit=10)
        assert [(e.id, e.signal_type, e.value) for e in entries] == [
            (1, "md5", MD5),
            (2, "pdq", PDQ),
        ]
        assert (entries[0].external_id, entries[0].labels, entries[0].source) == (
            "case-7",
            ("a", "b"),
            "ncmec",
        )
        assert entries[0].content_item_id != entries[1].content_item_id  # one item each
        assert not catalog.list_entries(db, "maybe", limit=10)[0].enabled

        record = get_screening(db, "acme", "s1")
        assert record.signals == {"md5": MD5, "sha256": "a" * 64, "pdq": PDQ, "pdq_quality": 87}
        assert record.matches[0]["entry_id"] == 1
        assert get_screening(db, "acme", "s2").signals == {"md5": "1" * 32}
        caller = apikeys.authenticate(db, KEY)
        assert (caller.client, caller.scopes) == ("acme", frozenset(apikeys.Scope))

        screener = Screener(db, 50)
        who = Requester("acme", "lookup")
        assert screener.lookup({"md5": MD5}, who).decision.value == "block"
        assert screener.lookup({"pdq": PDQ}, who).matches[0].entry_id == 2
        assert screener.lookup({"md5": "0" * 32}, who).decision.value == "allow"
        item = catalog.add_entry(db, "known", _entry(), "test")
        assert item.content_item_id > 3  # new items take ids after the migrated ones
    finally:
        db.dispose()
    engine = create_engine(old_database)
    try:
        assert _rows(engine, "SELECT cues, text FROM conversation_messages") == [
            (json.loads('["secrecy"]'), "hello")
            if engine.dialect.name == "postgresql"
            else ('["secrecy"]', "hello")
        ]
        migrated = "SELECT screening_id, status, priority FROM review_items WHERE id = 'r1'"
        assert _rows(engine, migrated) == [("s1", "open", 50)]  # an upload held for review
    finally:
        engine.dispose()


def test_downgrade_restores_the_old_columns(old_database: str) -> None:
    upgrade(old_database)
    downgrade(old_database, "0004")
    engine = create_engine(old_database)
    try:
        assert _rows(engine, "SELECT id, pdq_threshold FROM banks ORDER BY id") == [
            ("b1", 20),
            ("b2", 31),
        ]
        assert _rows(engine, "SELECT id, value, external_id, source FROM entries ORDER BY id") == [
            (1, MD5, "case-7", "ncmec"),
            (2, PDQ, "case-7", None),
            (3, "0" * 32, None, None),
        ]
        assert _rows(engine, "SELECT md5, pdq, pdq_quality FROM screenings WHERE id = 's1'") == [
            (MD5, PDQ, 87)
        ]
    finally:
        engine.dispose()
    upgrade(old_database)  # and up again


def _entry() -> NewEntry:
    return NewEntry("md5", "2" * 32)
