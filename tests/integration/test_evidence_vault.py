"""The evidence vault on SQLite and PostgreSQL: only ciphertext at rest, loud failures for
wrong keys and moved bytes, a logged access for every read, holds and retention that
purge and delete respect, purges that are idempotent, interruptible and concurrent, and
the ``safeguard evidence`` commands."""

from __future__ import annotations

import hashlib
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from safeguard import events
from safeguard.errors import BadRequest, Conflict, EvidenceKeyError, NotFound
from safeguard.events import EvidenceHeld, EvidencePurged, EvidenceStored
from safeguard.evidence import vault
from safeguard.evidence.keys import Keyring, parse_keys
from safeguard.store.db import Database
from safeguard.store.models import EvidenceObject, utcnow
from tests.integration.server import Cli, environment

KEY_A = "a:" + "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="  # 32 x "a"
KEY_B = "b:" + "YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI="  # 32 x "b"
UPLOADER = {"uploader_id": "user-4711", "ip": "203.0.113.7", "port": 52113, "file": "beach.jpg"}
DAY = timedelta(days=1)


@pytest.fixture
def keyring() -> Keyring:
    return parse_keys(KEY_A, "keys")


def put(
    db: Database,
    keyring: Keyring,
    retain_until: datetime,
    content: bytes = b"",
    screening_id: str | None = None,
) -> str:
    with db.session() as session:
        return vault.store(
            session,
            keyring,
            content=content or os.urandom(2048),
            media_type="image/jpeg",
            details=UPLOADER | {"at": datetime(2026, 3, 1, 12, tzinfo=UTC)},
            screening_id=screening_id,
            retain_until=retain_until,
            actor="platform-a",
        )


def row(db: Database, evidence_id: str) -> EvidenceObject | None:
    """The row as stored (detached, so it outlives the read session's rollback)."""
    with db.read_session() as session:
        found = session.get(EvidenceObject, evidence_id)
        if found is not None:
            session.expunge(found)
        return found


def logged(db: Database, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    with db.read_session() as session:
        return [(e.client, e.subject, e.details) for e in events.read_events(session, kinds=[kind])]


def actions(db: Database, evidence_id: str) -> list[tuple[str, str]]:
    return [(a.actor, a.action) for a in vault.access_log(db, evidence_id)]


def test_only_ciphertext_is_stored_and_it_reads_back(db: Database, keyring: Keyring) -> None:
    content = os.urandom(4096)
    until = utcnow() + 90 * DAY
    evidence_id = put(db, keyring, until, content, screening_id="s-1")
    stored = row(db, evidence_id)
    assert stored is not None and stored.key_id == "a"
    assert content not in stored.content and content[:64] not in stored.content
    for value in ("user-4711", "203.0.113.7", "beach.jpg", "52113"):
        assert value.encode() not in stored.details
    digest = hashlib.sha256(content).hexdigest()
    assert (stored.sha256, stored.size, stored.media_type) == (digest, 4096, "image/jpeg")
    view = vault.read(db, keyring, evidence_id, actor="alice", purpose="review item r-1")
    assert view.content == content
    assert view.details == UPLOADER | {"at": "2026-03-01T12:00:00+00:00"}
    assert (view.screening_id, view.retain_until, view.hold_until) == ("s-1", until, None)
    assert "user-4711" not in repr(view) and repr(content) not in repr(view)
    assert logged(db, EvidenceStored.kind) == [
        (
            "platform-a",
            evidence_id,
            {
                "screening_id": "s-1",
                "sha256": digest,
                "size": 4096,
                "retain_until": until.isoformat(),
            },
        )
    ]
    assert actions(db, evidence_id) == [("platform-a", "store"), ("alice", "read")]


def test_store_is_part_of_the_callers_transaction(db: Database, keyring: Keyring) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        evidence_id = vault.store(
            session,
            keyring,
            content=b"x",
            media_type="image/png",
            details={},
            screening_id=None,
            retain_until=utcnow() + DAY,
            actor="platform-a",
        )
        raise RuntimeError("the screening failed after storing")
    assert row(db, evidence_id) is None
    assert actions(db, evidence_id) == []
    assert logged(db, EvidenceStored.kind) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"media_type": " "}, "the media type is required"),
        ({"actor": ""}, "the actor is required"),
        ({"retain_until": datetime(2030, 1, 1)}, "retain_until needs a time zone"),
        ({"details": {"raw": b"bytes"}}, "evidence details must be JSON values"),
        ({"details": {"score": float("nan")}}, "evidence details must be JSON values"),
    ],
)
def test_bad_store_arguments_are_refused(
    db: Database, keyring: Keyring, change: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {
        "content": b"x",
        "media_type": "image/png",
        "details": {},
        "screening_id": None,
        "retain_until": utcnow() + DAY,
        "actor": "platform-a",
    }
    with pytest.raises(BadRequest, match=message), db.session() as session:
        vault.store(session, keyring, **(arguments | change))


def test_every_read_leaves_an_access_record(db: Database, keyring: Keyring) -> None:
    evidence_id = put(db, keyring, utcnow() + DAY)
    vault.read(db, keyring, evidence_id, actor="alice", purpose="review item r-1")
    vault.read(db, keyring, evidence_id, actor="bob", purpose="  report to NCMEC  ")
    with pytest.raises(BadRequest, match="the purpose of a read is required"):
        vault.read(db, keyring, evidence_id, actor="mallory", purpose=" ")
    with pytest.raises(BadRequest, match="at most 1000 characters"):
        vault.read(db, keyring, evidence_id, actor="mallory", purpose="x" * 1001)
    with pytest.raises(NotFound):
        vault.read(db, keyring, "no-such-id", actor="alice", purpose="curious")
    reads = [a for a in vault.access_log(db, evidence_id) if a.action == "read"]
    assert [(a.actor, a.purpose) for a in reads] == [
        ("alice", "review item r-1"),
        ("bob", "report to NCMEC"),
    ]


def test_a_wrong_or_missing_key_fails_loudly_and_the_attempt_is_logged(
    db: Database, keyring: Keyring
) -> None:
    evidence_id = put(db, keyring, utcnow() + DAY)
    impostor = parse_keys(f"a:{KEY_B.split(':')[1]}", "keys")
    with pytest.raises(EvidenceKeyError, match="does not decrypt with key 'a'"):
        vault.read(db, impostor, evidence_id, actor="alice", purpose="review")
    with pytest.raises(EvidenceKeyError, match="not in the configured keyring"):
        vault.read(db, parse_keys(KEY_B, "keys"), evidence_id, actor="alice", purpose="review")
    assert actions(db, evidence_id) == [
        ("platform-a", "store"),
        ("alice", "read"),
        ("alice", "read"),
    ]


def test_bytes_moved_to_another_row_or_a_changed_hash_fail(db: Database, keyring: Keyring) -> None:
    first, second = put(db, keyring, utcnow() + DAY), put(db, keyring, utcnow() + DAY)
    moved = row(db, first)
    assert moved is not None
    with db.session() as session:
        session.execute(
            update(EvidenceObject).where(EvidenceObject.id == second).values(content=moved.content)
        )
    with pytest.raises(EvidenceKeyError, match="altered or moved"):
        vault.read(db, keyring, second, actor="alice", purpose="review")
    with db.session() as session:
        session.execute(
            update(EvidenceObject).where(EvidenceObject.id == first).values(sha256="0" * 64)
        )
    with pytest.raises(EvidenceKeyError, match="does not match its SHA-256"):
        vault.read(db, keyring, first, actor="alice", purpose="review")


def test_objects_under_an_old_key_read_after_rotation(db: Database, keyring: Keyring) -> None:
    old = put(db, keyring, utcnow() + DAY, b"kept under a")
    rotated = parse_keys(f"{KEY_A}\n{KEY_B}\n", "keys")
    new = put(db, rotated, utcnow() + DAY, b"kept under b")
    assert [r.key_id for r in (row(db, old), row(db, new)) if r is not None] == ["a", "b"]
    assert vault.read(db, rotated, old, actor="alice", purpose="audit").content == b"kept under a"
    assert vault.read(db, rotated, new, actor="alice", purpose="audit").content == b"kept under b"


def test_find_lists_the_evidence_of_screenings_newest_first(db: Database, keyring: Keyring) -> None:
    first = put(db, keyring, utcnow() + DAY, screening_id="s-1")
    other = put(db, keyring, utcnow() + DAY, screening_id="s-2")
    put(db, keyring, utcnow() + DAY, screening_id="s-3")
    put(db, keyring, utcnow() + DAY)
    latest = put(db, keyring, utcnow() + DAY, screening_id="s-1")
    with db.read_session() as session:
        assert vault.find(session, ["s-1", "s-2"]) == [latest, other, first]
        assert vault.find(session, []) == []
        assert vault.find(session, ["s-9"]) == []
    assert actions(db, first) == [("platform-a", "store")]  # finding reads nothing


def test_a_hold_is_never_shortened(db: Database, keyring: Keyring) -> None:
    evidence_id = put(db, keyring, utcnow() + DAY)
    year = utcnow() + 365 * DAY
    with db.session() as session:
        end = vault.hold(session, evidence_id, until=year, reason="report 42", actor="alice")
    assert end == year
    with db.session() as session:
        shorter = utcnow() + 10 * DAY
        end = vault.hold(session, evidence_id, until=shorter, reason="oops", actor="bob")
    assert end == year
    stored = row(db, evidence_id)
    assert stored is not None and (stored.hold_until, stored.hold_reason) == (year, "report 42")
    longer = utcnow() + 730 * DAY
    with db.session() as session:
        vault.hold(session, evidence_id, until=longer, reason="court order 7", actor="carol")
    stored = row(db, evidence_id)
    assert stored is not None and (stored.hold_until, stored.hold_reason) == (
        longer,
        "court order 7",
    )
    assert [(c, d["hold_until"]) for c, _, d in logged(db, EvidenceHeld.kind)] == [
        ("alice", year.isoformat()),
        ("bob", year.isoformat()),
        ("carol", longer.isoformat()),
    ]
    assert [a for _, a in actions(db, evidence_id)] == ["store", "hold", "hold", "hold"]
    with pytest.raises(BadRequest, match="a hold must end in the future"), db.session() as s:
        vault.hold(s, evidence_id, until=utcnow() - DAY, reason="late", actor="alice")
    with pytest.raises(NotFound), db.session() as session:
        vault.hold(session, "no-such-id", until=year, reason="report 43", actor="alice")


def test_purge_respects_retention_and_holds_and_is_idempotent(
    db: Database, keyring: Keyring
) -> None:
    now = utcnow()
    expired = put(db, keyring, now + DAY)
    kept = put(db, keyring, now + 30 * DAY)
    held = put(db, keyring, now + DAY)
    briefly_held = put(db, keyring, now + DAY)
    with db.session() as session:
        vault.hold(session, held, until=now + 365 * DAY, reason="report 1", actor="alice")
        vault.hold(session, briefly_held, until=now + 5 * DAY, reason="check", actor="alice")
    assert vault.purge(db, now) == 0
    assert vault.purge(db, now + 2 * DAY) == 1
    assert vault.purge(db, now + 2 * DAY) == 0
    assert row(db, expired) is None
    assert vault.purge(db, now + 6 * DAY) == 1
    assert row(db, briefly_held) is None
    assert vault.purge(db, now + 31 * DAY) == 1
    assert row(db, kept) is None and row(db, held) is not None
    assert vault.purge(db, now + 366 * DAY) == 1
    assert [s for _, s, _ in logged(db, EvidencePurged.kind)] == [
        expired,
        briefly_held,
        kept,
        held,
    ]
    assert actions(db, held) == [
        ("platform-a", "store"),
        ("alice", "hold"),
        (events.SYSTEM_ACTOR, "purge"),
    ]


def test_retention_may_change_but_a_hold_stands(db: Database, keyring: Keyring) -> None:
    false_positive = put(db, keyring, utcnow() + 90 * DAY)
    confirmed = put(db, keyring, utcnow() + 90 * DAY)
    hold_end = utcnow() + 365 * DAY
    with db.session() as session:
        vault.hold(session, confirmed, until=hold_end, reason="report 9", actor="alice")
        vault.set_retention(session, false_positive, utcnow(), "alice")
        vault.set_retention(session, confirmed, utcnow(), "alice")
    stored = row(db, confirmed)
    assert stored is not None and stored.hold_until == hold_end
    assert vault.purge(db) == 1
    assert row(db, false_positive) is None and row(db, confirmed) is not None
    assert actions(db, false_positive)[1] == ("alice", "retention")
    with pytest.raises(NotFound), db.session() as session:
        vault.set_retention(session, "no-such-id", utcnow(), "alice")


def test_delete_is_refused_under_hold_or_before_retention(db: Database, keyring: Keyring) -> None:
    evidence_id = put(db, keyring, utcnow() + 90 * DAY)
    with pytest.raises(Conflict, match="is kept until"):
        vault.delete(db, evidence_id, "alice")
    with db.session() as session:
        vault.hold(session, evidence_id, until=utcnow() + 365 * DAY, reason="r", actor="alice")
        vault.set_retention(session, evidence_id, utcnow() - DAY, "alice")
    with pytest.raises(Conflict, match="is under legal hold until"):
        vault.delete(db, evidence_id, "alice")
    assert row(db, evidence_id) is not None
    other = put(db, keyring, utcnow() + 90 * DAY)
    with db.session() as session:
        vault.set_retention(session, other, utcnow() - DAY, "alice")
    vault.delete(db, other, "alice")
    assert row(db, other) is None
    assert [(c, s) for c, s, _ in logged(db, EvidencePurged.kind)] == [("alice", other)]
    assert actions(db, other)[-1] == ("alice", "delete")
    with pytest.raises(NotFound):
        vault.delete(db, other, "alice")


def test_an_interrupted_purge_leaves_a_consistent_state(
    db: Database, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = [put(db, keyring, utcnow() - DAY) for _ in range(3)]
    record = events.record
    calls = 0

    def crash_on_second_batch(session: Any, event: events.Event) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("interrupted")
        record(session, event)

    monkeypatch.setattr(events, "record", crash_on_second_batch)
    with pytest.raises(RuntimeError, match="interrupted"):
        vault.purge(db, batch=1)
    monkeypatch.setattr(events, "record", record)
    [purged] = [s for _, s, _ in logged(db, EvidencePurged.kind)]
    left = [e for e in stored if row(db, e) is not None]
    assert sorted([purged, *left]) == sorted(stored) and len(left) == 2
    assert actions(db, purged)[-1] == (events.SYSTEM_ACTOR, "purge")
    for evidence_id in left:
        assert actions(db, evidence_id) == [("platform-a", "store")]
        vault.read(db, keyring, evidence_id, actor="alice", purpose="still whole")
    assert vault.purge(db, batch=1) == 2
    assert sorted(s for _, s, _ in logged(db, EvidencePurged.kind)) == sorted(stored)


def test_concurrent_purges_delete_each_object_once(db: Database, keyring: Keyring) -> None:
    stored = [put(db, keyring, utcnow() - DAY) for _ in range(12)]
    counts: list[int] = []
    workers = [
        threading.Thread(target=lambda: counts.append(vault.purge(db, batch=2))) for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(counts) == 12
    assert sorted(s for _, s, _ in logged(db, EvidencePurged.kind)) == sorted(stored)
    assert vault.purge(db) == 0


def test_cli_purges_and_makes_keys(database_url: str, tmp_path: Path, keyring: Keyring) -> None:
    db = Database(database_url)
    try:
        put(db, keyring, utcnow() - DAY)
        put(db, keyring, utcnow() - DAY)
        kept = put(db, keyring, utcnow() + DAY)
        cli = Cli(environment(tmp_path / "data", database_url))
        assert cli.ok("evidence", "purge").strip() == "purged 2 evidence objects"
        assert cli.ok("evidence", "purge").strip() == "purged 0 evidence objects"
        assert row(db, kept) is not None
    finally:
        db.dispose()
    line = cli.ok("evidence", "keygen", "--id", "2026-b").strip()
    rotated = parse_keys(f"{KEY_A}\n{line}\n", "keys")
    assert rotated.current_id == "2026-b"
    assert parse_keys(cli.ok("evidence", "keygen"), "keys").current_id.endswith("Z")
    refused = cli.run("evidence", "keygen", "--id", "has space")
    assert refused.returncode == 2
    assert refused.stderr.startswith("safeguard: error: a key id must be")
    assert len(refused.stderr.splitlines()) == 1
