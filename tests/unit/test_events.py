"""The event log: typed events written with the change they describe."""

from __future__ import annotations

import pytest

from safeguard import apikeys, events
from safeguard.banks import catalog, service
from safeguard.banks.models import BankAction, BankSpec, NewEntry
from safeguard.events import ScreeningDecided
from safeguard.screening.service import Requester, Screener
from safeguard.store.db import Database

MD5 = "5dc1441dd7a12fa79f2a43b1ebc93eab"


def test_every_screening_logs_its_decision(db: Database) -> None:
    with db.session() as s:
        bank = service.create_bank(s, BankSpec("to-review", BankAction.REVIEW))
        service.add_entries(s, bank, [NewEntry("md5", MD5)])
    screener = Screener(db, 50)
    first = screener.lookup({"md5": MD5}, Requester("platform-a", "lookup"))
    second = screener.lookup({"md5": "0" * 32}, Requester("platform-b", "lookup"))
    with db.read_session() as s:
        logged = events.read_events(s, kinds=[ScreeningDecided.kind])
    assert [(e.client, e.subject, e.details["decision"]) for e in logged] == [
        ("platform-a", first.screening_id, "review"),
        ("platform-b", second.screening_id, "allow"),
    ]
    assert logged[0].details["matches"][0]["entry_id"] == first.matches[0].entry_id
    with db.read_session() as s:
        assert events.read_events(s, after=logged[0].id) == logged[1:]


def test_an_event_commits_with_its_change_or_not_at_all(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as s:
        events.record(s, ScreeningDecided("c", "never-stored", "lookup", "allow", []))
        raise RuntimeError("the change failed")
    with db.read_session() as s:
        assert events.read_events(s) == []


def test_bank_and_key_changes_are_logged_with_who_made_them(db: Database) -> None:
    catalog.create_bank(db, BankSpec("known"), "platform-a")
    entry = catalog.add_entry(db, "known", NewEntry("md5", MD5), "platform-a")
    catalog.set_entry_enabled(db, "known", entry.id, False, "moderator-1")
    catalog.set_entry_enabled(db, "known", entry.id, True, "moderator-1")
    catalog.delete_entry(db, "known", entry.id, "platform-a")
    service.delete_bank(db, "known", actor="platform-a")
    apikeys.create_key(db, "platform-b", "cli")
    apikeys.revoke_key(db, "platform-b", "cli")
    with db.read_session() as s:
        logged = [(e.kind, e.client, e.subject) for e in events.read_events(s)]
        added = events.read_events(s, kinds=["bank.entries_added"])[0]
    assert logged == [
        ("bank.created", "platform-a", "known"),
        ("bank.entries_added", "platform-a", "known"),
        ("bank.entry_disabled", "moderator-1", "known"),
        ("bank.entry_enabled", "moderator-1", "known"),
        ("bank.entry_deleted", "platform-a", "known"),
        ("bank.deleted", "platform-a", "known"),
        ("api_key.created", "cli", "platform-b"),
        ("api_key.revoked", "cli", "platform-b"),
    ]
    assert added.details == {"count": 1, "first_entry_id": entry.id, "last_entry_id": entry.id}
