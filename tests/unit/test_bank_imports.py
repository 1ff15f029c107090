"""Bank imports are all or nothing: staged out of sight, then published in one transaction
(``banks/imports.py``). Generated hash values only."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select, update

from safeguard.banks import imports, service
from safeguard.banks.formats import list_format
from safeguard.banks.models import BankSpec, NewEntry
from safeguard.banks.values import value_digest
from safeguard.errors import Conflict, InvalidList
from safeguard.screening.matcher import Matcher
from safeguard.screening.service import Requester, Screener
from safeguard.store.db import Database
from safeguard.store.models import (
    AuditEvent,
    BankImport,
    ContentItem,
    Entry,
    EntryChange,
    StagedEntry,
    utcnow,
)

WHO = Requester("tests", "lookup")


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several staging batches from lists of a few hundred rows."""
    monkeypatch.setattr(imports, "STAGE_BATCH", 50)


def md5s(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [bytes(row).hex() for row in rng.integers(0, 256, (count, 16), dtype=np.uint8)]


def pdqs(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [bytes(row).hex() for row in rng.integers(0, 256, (count, 32), dtype=np.uint8)]


def csv_list(lines: list[str]) -> io.BytesIO:
    return io.BytesIO("".join(f"{line}\n" for line in lines).encode())


def make_bank(db: Database, name: str = "imported") -> None:
    with db.session() as s:
        service.create_bank(s, BankSpec(name))


def count(db: Database, model: type[object]) -> int:
    with db.read_session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def import_states(db: Database) -> list[str]:
    with db.read_session() as s:
        return list(s.scalars(select(BankImport.state).order_by(BankImport.started_at)))


def test_a_bad_line_midway_leaves_nothing(db: Database) -> None:
    make_bank(db)
    lines = [f"md5,{v}" for v in md5s(300, 1)]
    lines.insert(220, "md5,not-hex")
    with pytest.raises(InvalidList, match="line 221:"):
        service.import_list(db, "imported", csv_list(lines))
    for model in (Entry, ContentItem, EntryChange, StagedEntry):
        assert count(db, model) == 0, model
    assert import_states(db) == ["abandoned"]
    with db.read_session() as s:
        assert service.list_banks(s)[0].entries == 0


def test_a_list_is_added_whole_with_one_change_per_entry_and_one_event(db: Database) -> None:
    make_bank(db)
    worker = Screener(db, 50, Matcher())
    values = pdqs(240, 2)
    assert worker.lookup({"pdq": values[-1]}, WHO).decision.value == "allow"  # synced
    result = service.import_list(db, "imported", csv_list([f"pdq,{v}" for v in values]))
    assert (result.added, result.already_present) == (240, 0)
    with db.read_session() as s:
        ids = sorted(s.scalars(select(Entry.id)))
        logged = sorted(s.scalars(select(EntryChange.entry_id)))
        [details] = s.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "bank.entries_added")
        )
    assert logged == ids and len(ids) == 240
    assert (details["count"], details["first_entry_id"], details["last_entry_id"]) == (
        240,
        ids[0],
        ids[-1],
    )
    assert worker.lookup({"pdq": values[-1]}, WHO).decision.value == "block"  # replayed
    assert worker.matcher.size()["pdq"] == 240
    exported = "".join(service.export_list(db, "imported")).split()[1:]
    assert exported == [f"pdq,{v},," for v in values]  # items in list order
    assert count(db, StagedEntry) == 0 and import_states(db) == ["done"]


def test_importing_again_counts_what_the_bank_holds(db: Database) -> None:
    make_bank(db)
    values = md5s(200, 3)
    first = service.import_list(db, "imported", csv_list([f"md5,{v}" for v in values[:120]]))
    again = service.import_list(db, "imported", csv_list([f"md5,{v}" for v in values]))
    assert (first.added, first.already_present) == (120, 0)
    assert (again.added, again.already_present) == (80, 120)
    assert count(db, Entry) == count(db, EntryChange) == count(db, ContentItem) == 200
    with db.read_session() as s:
        assert list(s.scalars(select(BankImport.counts).order_by(BankImport.started_at))) == [
            {"read": 120, "added": 120, "already_present": 0},
            {"read": 200, "added": 80, "already_present": 120},
        ]


def test_repeats_within_a_list_are_added_once(db: Database) -> None:
    make_bank(db)
    values = md5s(100, 4)
    lines = [f"md5,{v}" for v in values] + [f"md5,{v.upper()}" for v in values[:30]]
    result = service.import_list(db, "imported", csv_list(lines))
    assert (result.added, result.already_present) == (100, 30)
    assert count(db, Entry) == 100


def test_external_ids_join_the_items_the_bank_knows(db: Database) -> None:
    make_bank(db)
    known, joined, new_a, new_b, own = md5s(5, 5)
    with db.session() as s:
        bank = service.get_bank(s, "imported")
        service.add_entries(s, bank, [NewEntry("md5", known, external_id="case-1")])
    lines = [
        f"md5,{joined},case-1,ignored",
        f"md5,{new_a},case-2,first;label",
        f"md5,{own}",
        f"md5,{new_b},case-2,other",
    ]
    result = service.import_list(db, "imported", csv_list(lines))
    assert (result.added, result.already_present) == (4, 0)
    with db.read_session() as s:
        bank = service.get_bank(s, "imported")
        described = [
            (item.external_id, item.labels, item.source, [e.value for e in entries])
            for item, entries in service.list_items(s, bank, limit=10)
        ]
    assert described == [
        ("case-1", [], None, [known, joined]),
        # Entries of one import are numbered in value-digest order (banks/imports.py).
        ("case-2", ["first", "label"], None, sorted([new_a, new_b], key=value_digest)),
        (None, [], None, [own]),
    ]


def test_items_of_other_formats_keep_their_source_and_keys(db: Database) -> None:
    make_bank(db, "source")
    make_bank(db)
    first, second = pdqs(2, 6)
    md5 = md5s(1, 6)[0]
    entries = [
        NewEntry("pdq", first, external_id="video-1", labels=("a",)),
        NewEntry("md5", md5, external_id="video-1", labels=("a",)),
        NewEntry("pdq", second, external_id="photo-2"),
    ]
    with db.session() as s:
        service.add_entries(s, service.get_bank(s, "source"), entries)
    text = "".join(service.export_list(db, "source", "hma-json"))
    result = service.import_list(db, "imported", io.BytesIO(text.encode()), format_name="hma-json")
    assert (result.added, result.already_present) == (3, 0)
    with db.read_session() as s:
        items = service.list_items(s, service.get_bank(s, "imported"), limit=10)
        described = [(i.external_id, i.source, len(e)) for i, e in items]
    assert described == [
        ("video-1", "import", 2),
        ("photo-2", "import", 1),
    ]


def test_stale_staging_is_invisible_then_abandoned(db: Database) -> None:
    make_bank(db)
    values = md5s(120, 7)
    with db.session() as s:
        stale_id = imports.begin(s, service.get_bank(s, "imported"), "tests", "csv")
    form = list_format("csv")
    staged = imports.stage(db, stale_id, form.read(csv_list([f"md5,{v}" for v in values])))
    assert count(db, StagedEntry) == 120
    with db.read_session() as s:  # staged rows are nowhere to be seen
        assert service.list_banks(s)[0].entries == 0
    assert "".join(service.export_list(db, "imported")).split()[1:] == []
    assert Screener(db, 50).lookup({"md5": values[0]}, WHO).decision.value == "allow"
    long_ago = utcnow() - imports.ABANDON_AFTER - timedelta(minutes=1)
    with db.session() as s:
        s.execute(update(BankImport).values(heartbeat_at=long_ago))
    result = service.import_list(db, "imported", csv_list([f"md5,{values[0]}"]))
    assert (result.added, result.already_present) == (1, 0)
    assert count(db, StagedEntry) == 0
    assert import_states(db) == ["abandoned", "done"]
    with pytest.raises(Conflict, match="abandoned"), db.session() as s:
        imports.publish(s, service.get_bank(s, "imported"), staged, "tests")
    assert count(db, Entry) == 1


def test_staging_that_was_abandoned_stops(db: Database) -> None:
    make_bank(db)
    with db.session() as s:
        import_id = imports.begin(s, service.get_bank(s, "imported"), "tests", "csv")
    imports.abandon_stale(db, now=utcnow() + imports.ABANDON_AFTER + timedelta(minutes=1))
    with pytest.raises(Conflict, match="abandoned"):
        imports.stage(db, import_id, [NewEntry("md5", md5s(1, 8)[0])])
    assert count(db, StagedEntry) == 0
