"""Bank imports, all or nothing.

A list is staged first: read once, each entry checked as it is read and stored out of
sight in ``staged_entries``, a batch per short transaction (so that SQLite keeps serving
screenings meanwhile), each batch renewing the import's heartbeat. Then one transaction
publishes it with set-based statements: the new content items and entries, their
change-log rows and one ``BankEntriesAdded`` event. Until then no reader sees any of it;
staging that fails, or whose heartbeat stops (its process was killed), is discarded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.banks.models import NewEntry
from safeguard.banks.values import value_digest
from safeguard.errors import Conflict
from safeguard.events import BankEntriesAdded
from safeguard.store.db import Database, changed_rows
from safeguard.store.models import (
    Bank,
    BankImport,
    ContentItem,
    Entry,
    EntryChange,
    StagedEntry,
    utcnow,
)

if TYPE_CHECKING:
    import psycopg

STAGE_BATCH = 5_000
"""Entries staged per transaction (each holds SQLite's write lock for a moment)."""
ABANDON_AFTER = timedelta(minutes=15)
"""How long staging may go without a heartbeat before it is discarded as dead."""
STAGING, DONE, ABANDONED = "staging", "done", "abandoned"
_DELETE_BATCH = 20_000
_STAGED = StagedEntry.metadata.tables[StagedEntry.__tablename__]
_ITEMS = ContentItem.metadata.tables[ContentItem.__tablename__]
_ENTRIES = Entry.metadata.tables[Entry.__tablename__]
_CHANGES = EntryChange.metadata.tables[EntryChange.__tablename__]
_STAGED_COLUMNS = (
    "import_id",
    "item",
    "external_id",
    "labels",
    "source",
    "signal_type",
    "value",
    "value_digest",
)
# PostgreSQL takes staged rows by COPY: several times quicker than an INSERT per row.
_COPY_STAGED = f"COPY {_STAGED.name} ({', '.join(_STAGED_COLUMNS)}) FROM STDIN"
_ITEM_SEQUENCE = "pg_get_serial_sequence('content_items', 'id')"


@dataclass(frozen=True)
class ImportSummary:
    """How many entries an import added, and how many values the bank already held."""

    added: int
    already_present: int


@dataclass(frozen=True)
class Staged:
    """An import whose entries are staged: how many entries it read, how many content
    items they make (numbered from 1), and whether any has an external id."""

    import_id: str
    read: int
    items: int
    external_ids: bool


def shared_item(entry: NewEntry) -> str | None:
    """What groups ``entry`` with others added along with it into one content item: its
    external id, else its item key; None for an item of its own."""
    if entry.external_id is not None:
        return f"external:{entry.external_id}"
    if entry.item_key is not None:
        return f"key:{entry.item_key}"
    return None


def begin(session: Session, bank: Bank, actor: str, format_name: str) -> str:
    """Start an import into ``bank``: its id."""
    started = BankImport(bank_id=bank.id, actor=actor, format=format_name, state=STAGING)
    session.add(started)
    session.flush()
    return started.id


def stage(db: Database, import_id: str, entries: Iterable[NewEntry]) -> Staged:
    """Store ``entries`` as staged rows of the import, a batch per transaction, leaving
    out values met earlier in the list. A bad entry raises (InvalidList naming it) once
    the batches before it are staged."""
    rows = _StagedRows(import_id)
    iterator = iter(entries)
    while batch := list(islice(iterator, STAGE_BATCH)):
        fresh = [row for row in map(rows.of, batch) if row is not None]
        with db.session() as session:
            _update_staging(session, import_id, heartbeat_at=utcnow())
            _insert_staged(session, fresh)
    return Staged(import_id, rows.read, rows.items, rows.external_ids)


class _StagedRows:
    """The staged rows of one import's entries, taken in list order: values of
    ``_STAGED_COLUMNS`` (labels as JSON text), with the number of each entry's item."""

    def __init__(self, import_id: str) -> None:
        self.import_id = import_id
        self.read = self.items = 0
        self.external_ids = False
        self._seen: set[str] = set()
        self._shared: dict[str, int] = {}

    def of(self, entry: NewEntry) -> tuple[object, ...] | None:
        """The row of ``entry``; None if its value came earlier in the list."""
        self.read += 1
        digest = value_digest(entry.value)
        if (known := f"{entry.signal_type}:{digest}") in self._seen:
            return None
        self._seen.add(known)
        self.external_ids = self.external_ids or entry.external_id is not None
        shared = shared_item(entry)
        item = self._shared.get(shared) if shared is not None else None
        if item is None:
            self.items = item = self.items + 1
            if shared is not None:
                self._shared[shared] = item
        labels = json.dumps(list(entry.labels))
        described = (self.import_id, item, entry.external_id, labels, entry.source)
        return (*described, entry.signal_type, entry.value, digest)


def _insert_staged(session: Session, rows: Sequence[tuple[object, ...]]) -> None:
    """Insert staged rows, given as values of ``_STAGED_COLUMNS`` (labels as JSON text)."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        driver = cast("psycopg.Connection[Any]", connection.connection.driver_connection)
        with driver.cursor() as cursor, cursor.copy(_COPY_STAGED) as copy:
            for row in rows:
                copy.write_row(row)
        return
    names = ", ".join(_STAGED_COLUMNS)
    marks = ", ".join("?" * len(_STAGED_COLUMNS))
    connection.exec_driver_sql(f"INSERT INTO {_STAGED.name} ({names}) VALUES ({marks})", rows)


def publish(session: Session, bank: Bank, staged: Staged, actor: str) -> ImportSummary:
    """Add the staged entries to ``bank`` in this transaction, which must hold the
    change-log lock; values the bank holds already are only counted."""
    now = utcnow()
    rows = _STAGED.c
    mine = rows.import_id == staged.import_id
    held = exists().where(
        _ENTRIES.c.bank_id == bank.id,
        _ENTRIES.c.signal_type == rows.signal_type,
        _ENTRIES.c.value_digest == rows.value_digest,
    )
    changed_rows(session, delete(_STAGED).where(mine, held))
    item_ids = _add_items(session, bank, staged, now)
    before = session.scalar(select(func.coalesce(func.max(_ENTRIES.c.id), 0)))
    fresh = select(
        literal(bank.id),
        func.coalesce(rows.content_item_id, item_ids),
        rows.signal_type,
        rows.value,
        rows.value_digest,
        true(),
        literal(now, _ENTRIES.c.created_at.type),
        literal(now, _ENTRIES.c.updated_at.type),
    ).where(mine)
    columns = ["bank_id", "content_item_id", "signal_type", "value", "value_digest"]
    columns += ["enabled", "created_at", "updated_at"]
    # In value order, each index of entries is written page after page, not at random.
    in_order = fresh.order_by(rows.signal_type, rows.value_digest)
    session.execute(insert(_ENTRIES).from_select(columns, in_order))
    added = (_ENTRIES.c.bank_id == bank.id, _ENTRIES.c.id > before)
    logged = select(_ENTRIES.c.id, literal(now, _CHANGES.c.changed_at.type)).where(*added)
    session.execute(
        insert(_CHANGES).from_select(["entry_id", "changed_at"], logged.order_by(_ENTRIES.c.id))
    )
    query = select(func.count(), func.min(_ENTRIES.c.id), func.max(_ENTRIES.c.id)).where(*added)
    count, first, last = session.execute(query).one()
    if count:
        events.record(session, BankEntriesAdded(actor, bank.name, count, first, last))
    summary = ImportSummary(count, staged.read - count)
    counts = {"read": staged.read, "added": count, "already_present": summary.already_present}
    _update_staging(session, staged.import_id, state=DONE, finished_at=now, counts=counts)
    return summary


def close(db: Database, import_id: str) -> None:
    """End an import: abandoned unless it was published; its staged rows are deleted,
    a batch per transaction."""
    staging = (BankImport.id == import_id, BankImport.state == STAGING)
    with db.session() as session:
        session.execute(
            update(BankImport).where(*staging).values(state=ABANDONED, finished_at=utcnow())
        )
    chosen = select(_STAGED.c.id).where(_STAGED.c.import_id == import_id).limit(_DELETE_BATCH)
    some = delete(_STAGED).where(_STAGED.c.id.in_(chosen.scalar_subquery()))
    while True:
        with db.session() as session:
            if changed_rows(session, some) == 0:
                return


def abandon_stale(db: Database, *, now: datetime | None = None) -> None:
    """Abandon staging whose heartbeat is older than ``ABANDON_AFTER``, and delete the
    staged rows of every import that ended (those of an interrupted ``close``)."""
    now = now or utcnow()
    with db.session() as session:
        stale = update(BankImport).where(
            BankImport.state == STAGING, BankImport.heartbeat_at < now - ABANDON_AFTER
        )
        session.execute(stale.values(state=ABANDONED, finished_at=now))
        leftover = exists().where(_STAGED.c.import_id == BankImport.id)
        ended = list(
            session.scalars(select(BankImport.id).where(BankImport.state != STAGING, leftover))
        )
    for import_id in ended:
        close(db, import_id)


def _add_items(session: Session, bank: Bank, staged: Staged, now: datetime) -> ColumnElement[int]:
    """Give staged rows of an external id the bank knows its (first) content item; make
    a new item of every other item number, described by its first row. The SQL
    expression of the new item id of a staged row."""
    rows = _STAGED.c
    mine = rows.import_id == staged.import_id
    known = select(func.min(_ITEMS.c.id)).where(
        _ITEMS.c.bank_id == bank.id, _ITEMS.c.external_id == rows.external_id
    )
    if staged.external_ids:
        linked = update(_STAGED).where(mine, rows.external_id.is_not(None))
        session.execute(linked.values(content_item_id=known.scalar_subquery()))
    item_id = literal(_reserve_item_ids(session, staged.items) - 1, BigInteger) + rows.item
    earlier = _STAGED.alias("earlier")
    first_of_item = ~exists().where(
        earlier.c.import_id == staged.import_id,
        earlier.c.item == rows.item,
        earlier.c.id < rows.id,
    )
    described = select(
        item_id,
        literal(bank.id),
        rows.external_id,
        rows.labels,
        rows.source,
        true(),
        literal(now, _ITEMS.c.created_at.type),
    ).where(mine, rows.content_item_id.is_(None), first_of_item)
    columns = ["id", "bank_id", "external_id", "labels", "source", "enabled", "created_at"]
    session.execute(insert(_ITEMS).from_select(columns, described.order_by(rows.item)))
    return item_id


def _reserve_item_ids(session: Session, count: int) -> int:
    """The first of ``count`` consecutive content item ids no other item will take (the
    caller holds the change-log lock, which every writer of content items takes)."""
    if session.get_bind().dialect.name != "postgresql":
        return int(session.scalar(select(func.coalesce(func.max(_ITEMS.c.id), 0))) or 0) + 1
    first = int(session.scalar(text(f"SELECT nextval({_ITEM_SEQUENCE})")) or 0)
    if count > 1:
        session.execute(
            text(f"SELECT setval({_ITEM_SEQUENCE}, :last)"), {"last": first + count - 1}
        )
    return first


def _update_staging(session: Session, import_id: str, **values: object) -> None:
    """Update the staging import (a heartbeat, or its end); Conflict if it was
    abandoned meanwhile."""
    query = update(BankImport).where(BankImport.id == import_id, BankImport.state == STAGING)
    if changed_rows(session, query.values(**values)) != 1:
        raise Conflict("the import was abandoned (it made no progress for too long): run it again")
