"""Bank and entry operations. Every change to an entry is written to the change log.

Work on a whole bank (export, delete, an import's staging) runs in batches, each in its
own short transaction, so that screenings and health checks are served in between; an
import is published all at once (``banks/imports.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, TypeVarTuple

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.banks import imports
from safeguard.banks.formats import FormatName, list_format
from safeguard.banks.formats.base import ExportItem
from safeguard.banks.imports import ImportSummary as ImportSummary
from safeguard.banks.models import BankSpec, NewEntry, validate_bank_name
from safeguard.banks.values import value_digest
from safeguard.errors import Conflict, NotFound
from safeguard.events import (
    SYSTEM_ACTOR,
    BankCreated,
    BankDeleted,
    BankEntriesAdded,
    BankEntryDeleted,
    BankEntryDisabled,
    BankEntryEnabled,
    ContentItemDisabled,
    ContentItemEnabled,
)
from safeguard.store.db import Database, lock_change_log
from safeguard.store.models import Bank, BankThreshold, ContentItem, Entry, EntryChange, utcnow

_BATCH = 5_000
# Banks being deleted are renamed so that their names can be used again at once.
_DELETED_PREFIX = "~deleted-"
# A Core insert: big lists go in about a fifth faster than through the ORM's bulk insert.
_ENTRIES = Entry.metadata.tables[Entry.__tablename__]
_INSERT_ENTRIES = insert(_ENTRIES).returning(_ENTRIES.c.id)
_ITEMS = ContentItem.metadata.tables[ContentItem.__tablename__]
_INSERT_ITEMS = insert(_ITEMS).returning(_ITEMS.c.id)
Ts = TypeVarTuple("Ts")


@dataclass(frozen=True)
class BankSummary:
    bank: Bank
    entries: int
    enabled_entries: int


@dataclass(frozen=True)
class AddResult:
    """Ids of the entries created, and how many requested values the bank already held."""

    added_ids: list[int]
    already_present: int


def create_bank(session: Session, spec: BankSpec, *, actor: str = SYSTEM_ACTOR) -> Bank:
    if session.scalar(select(Bank.id).where(Bank.name == spec.name)) is not None:
        raise Conflict(f"bank {spec.name!r} already exists")
    bank = Bank(
        name=spec.name,
        action=spec.action.value,
        kind=spec.kind.value,
        thresholds=[BankThreshold(signal_type=k, threshold=t) for k, t in spec.thresholds.items()],
    )
    session.add(bank)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"bank {spec.name!r} already exists") from None
    events.record(
        session, BankCreated(actor, bank.name, bank.action, bank.kind, dict(spec.thresholds))
    )
    return bank


def get_bank(session: Session, name: str) -> Bank:
    validate_bank_name(name)
    bank = session.scalar(select(Bank).where(Bank.name == name, Bank.deleted_at.is_(None)))
    if bank is None:
        raise NotFound(f"no bank named {name!r}")
    return bank


def list_banks(session: Session) -> list[BankSummary]:
    counts = dict(
        session.execute(select(Entry.bank_id, func.count()).group_by(Entry.bank_id)).all()
    )
    enabled = dict(
        session.execute(
            select(Entry.bank_id, func.count()).where(Entry.enabled).group_by(Entry.bank_id)
        ).all()
    )
    query = select(Bank).where(Bank.deleted_at.is_(None)).order_by(Bank.name)
    banks = session.scalars(query).all()
    return [BankSummary(b, counts.get(b.id, 0), enabled.get(b.id, 0)) for b in banks]


def summarise(session: Session, bank: Bank) -> BankSummary:
    """One bank with its entry counts."""
    query = select(func.count(), func.count().filter(Entry.enabled)).where(Entry.bank_id == bank.id)
    entries, enabled = session.execute(query).one()
    return BankSummary(bank, entries, enabled)


def delete_bank(db: Database, name: str, *, actor: str = SYSTEM_ACTOR) -> None:
    """Delete a bank: it stops matching, and its name is free, when this is called; its
    entries then go a batch per write transaction, and the bank with the last.

    The first transaction marks the bank deleted (screening skips deleted banks) and
    renames it out of the way. An interrupted purge is finished by the next delete of
    any bank (``purge_deleted_banks``).
    """
    with db.session() as session:
        bank = get_bank(session, name)
        bank.deleted_at = utcnow()
        bank.name = f"{_DELETED_PREFIX}{bank.id}"
        events.record(session, BankDeleted(actor, name, bank.id))
    purge_deleted_banks(db)


def purge_deleted_banks(db: Database) -> None:
    """Remove the entries, then the rows, of every bank marked deleted."""
    with db.read_session() as session:
        pending = list(session.scalars(select(Bank.id).where(Bank.deleted_at.is_not(None))))
    for bank_id in pending:
        done = False
        while not done:
            with db.session() as session:
                # The change-log lock first: every writer of entries holds it.
                lock_change_log(session)
                done = _delete_some(session, bank_id, _BATCH) == 0
                if done:
                    session.execute(delete(Bank).where(Bank.id == bank_id))


def add_entries(
    session: Session, bank: Bank, entries: Sequence[NewEntry], *, actor: str = SYSTEM_ACTOR
) -> AddResult:
    """Add entries to ``bank`` in this transaction, grouped into content items (see
    ``NewEntry``); values the bank holds already are only counted."""
    existing = _existing_values(session, bank, entries)
    seen: set[tuple[str, str]] = set()
    fresh: list[tuple[NewEntry, str]] = []
    for position, entry in enumerate(entries):
        key = (entry.signal_type, entry.value)
        if key in existing or key in seen:
            continue
        seen.add(key)
        fresh.append((entry, imports.shared_item(entry) or f"own:{position}"))
    lock_change_log(session)
    items = _items_for(session, bank, fresh)
    rows = [
        {
            "bank_id": bank.id,
            "content_item_id": items[item],
            "signal_type": entry.signal_type,
            "value": entry.value,
            "value_digest": value_digest(entry.value),
            "enabled": True,
        }
        for entry, item in fresh
    ]
    added: list[int] = []
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        ids = session.execute(_INSERT_ENTRIES, batch).scalars().all()
        added.extend(ids)
        _log_changes(session, ids)
    if added:
        events.record(session, BankEntriesAdded(actor, bank.name, len(added), added[0], added[-1]))
    return AddResult(added_ids=added, already_present=len(entries) - len(rows))


def _items_for(
    session: Session, bank: Bank, fresh: Sequence[tuple[NewEntry, str]]
) -> dict[str, int]:
    """The content item id of each item key: the bank's item of that external id, or a
    new item described by the first entry of the key."""
    first: dict[str, NewEntry] = {}
    for entry, key in fresh:
        first.setdefault(key, entry)
    external = sorted({e.external_id for e in first.values() if e.external_id is not None})
    known: dict[str, int] = {}
    for start in range(0, len(external), _BATCH):
        query = select(ContentItem.external_id, func.min(ContentItem.id)).where(
            ContentItem.bank_id == bank.id,
            ContentItem.external_id.in_(external[start : start + _BATCH]),
        )
        for external_id, item_id in session.execute(query.group_by(ContentItem.external_id)):
            known[str(external_id)] = item_id
    ids = {
        key: known[entry.external_id]
        for key, entry in first.items()
        if entry.external_id is not None and entry.external_id in known
    }
    new = [key for key in first if key not in ids]
    rows = [
        {
            "bank_id": bank.id,
            "external_id": first[key].external_id,
            "labels": list(first[key].labels),
            "source": first[key].source,
            "enabled": True,
        }
        for key in new
    ]
    for start in range(0, len(rows), _BATCH):
        created = session.execute(_INSERT_ITEMS, rows[start : start + _BATCH]).scalars().all()
        ids.update(zip(new[start : start + _BATCH], created, strict=True))
    return ids


def get_entry(session: Session, bank: Bank, entry_id: int) -> Entry:
    entry = session.get(Entry, entry_id)
    if entry is None or entry.bank_id != bank.id:
        raise NotFound(f"bank {bank.name!r} has no entry {entry_id}")
    return entry


def set_entry_enabled(
    session: Session, bank: Bank, entry_id: int, enabled: bool, *, actor: str = SYSTEM_ACTOR
) -> Entry:
    entry = get_entry(session, bank, entry_id)
    if entry.enabled != enabled:
        lock_change_log(session)
        session.execute(update(Entry).where(Entry.id == entry.id).values(enabled=enabled))
        _log_changes(session, [entry.id])
        toggled = BankEntryEnabled if enabled else BankEntryDisabled
        events.record(session, toggled(actor, bank.name, entry.id))
        session.refresh(entry)
    return entry


def delete_entry(session: Session, bank: Bank, entry_id: int, *, actor: str = SYSTEM_ACTOR) -> None:
    """Delete one entry; its content item goes with its last entry."""
    entry = get_entry(session, bank, entry_id)
    item_id = entry.content_item_id
    lock_change_log(session)
    session.execute(delete(Entry).where(Entry.id == entry.id))
    _log_changes(session, [entry_id])
    if session.scalar(select(Entry.id).where(Entry.content_item_id == item_id).limit(1)) is None:
        session.execute(delete(ContentItem).where(ContentItem.id == item_id))
    events.record(session, BankEntryDeleted(actor, bank.name, entry_id))


def get_item(session: Session, bank: Bank, item_id: int) -> ContentItem:
    item = session.get(ContentItem, item_id)
    if item is None or item.bank_id != bank.id:
        raise NotFound(f"bank {bank.name!r} has no content item {item_id}")
    return item


def item_entries(session: Session, item: ContentItem) -> list[Entry]:
    """The entries of one content item, in id order."""
    query = select(Entry).where(Entry.content_item_id == item.id).order_by(Entry.id)
    return list(session.scalars(query))


def list_items(
    session: Session, bank: Bank, *, limit: int, after_id: int = 0
) -> list[tuple[ContentItem, list[Entry]]]:
    """Content items with their entries in id order, ``limit`` items at a time after
    ``after_id`` (keyset pagination)."""
    query = (
        select(ContentItem)
        .where(ContentItem.bank_id == bank.id, ContentItem.id > after_id)
        .order_by(ContentItem.id)
        .limit(limit)
    )
    items = list(session.scalars(query))
    held: dict[int, list[Entry]] = {item.id: [] for item in items}
    if items:
        entries = select(Entry).where(Entry.content_item_id.in_(list(held))).order_by(Entry.id)
        for entry in session.scalars(entries):
            held[entry.content_item_id].append(entry)
    return [(item, held[item.id]) for item in items]


def set_item_enabled(
    session: Session, bank: Bank, item_id: int, enabled: bool, *, actor: str = SYSTEM_ACTOR
) -> ContentItem:
    """Enable or disable a content item: while disabled, none of its entries matches."""
    item = get_item(session, bank, item_id)
    if item.enabled != enabled:
        lock_change_log(session)
        item.enabled = enabled
        session.flush()
        _log_changes(session, [entry.id for entry in item_entries(session, item)])
        toggled = ContentItemEnabled if enabled else ContentItemDisabled
        events.record(session, toggled(actor, bank.name, item.id))
    return item


def list_entries(
    session: Session, bank: Bank, *, limit: int, after_id: int = 0
) -> list[tuple[Entry, ContentItem]]:
    """Entries with their items in id order, ``limit`` at a time after ``after_id``
    (keyset pagination)."""
    query = select(Entry, ContentItem).join(ContentItem, ContentItem.id == Entry.content_item_id)
    return [(e, i) for e, i in session.execute(_page(query, bank.id, limit, after_id))]


def import_list(
    db: Database,
    name: str,
    source: IO[bytes],
    *,
    actor: str = SYSTEM_ACTOR,
    format_name: str = FormatName.CSV,
) -> ImportSummary:
    """Import a list in the format named ``format_name`` (``banks/formats``) from
    ``source`` (read once, from its current position), all or nothing.

    The list is staged out of sight, a batch per write transaction, then published in
    one transaction (``banks/imports.py``). A bad line or record raises InvalidList
    naming it, and nothing is imported. Values the bank holds already are only counted,
    so running an import again is safe.
    """
    form = list_format(format_name)
    return import_entries(db, name, form.read(source), actor=actor, source=form.name)


def import_entries(
    db: Database, name: str, entries: Iterable[NewEntry], *, actor: str, source: str
) -> ImportSummary:
    """Import ``entries`` into bank ``name`` as ``import_list`` imports a list's (staged,
    then published at once); ``source`` names where they came from in the import record."""
    imports.abandon_stale(db)
    with db.session() as session:
        import_id = imports.begin(session, get_bank(session, name), actor, source)
    try:
        staged = imports.stage(db, import_id, entries)
        with db.session() as session:
            lock_change_log(session)  # first, as every writer of entries takes it
            return imports.publish(session, get_bank(session, name), staged, actor)
    finally:
        imports.close(db, import_id)


def export_list(db: Database, name: str, format_name: str = FormatName.CSV) -> Iterator[str]:
    """The bank's enabled entries in the format named ``format_name``, a page of content
    items at a time (NotFound, or InvalidName for an unknown format, at once).

    Each page is read in its own short read transaction, so a slow reader holds none.
    """
    form = list_format(format_name)
    with db.read_session() as session:
        bank_id = get_bank(session, name).id
    return form.write(_export_pages(db, bank_id))


def _existing_values(
    session: Session, bank: Bank, entries: Sequence[NewEntry]
) -> set[tuple[str, str]]:
    wanted: dict[str, dict[str, str]] = {}
    for entry in entries:
        wanted.setdefault(entry.signal_type, {})[value_digest(entry.value)] = entry.value
    found: set[tuple[str, str]] = set()
    for kind, by_digest in wanted.items():
        ordered = sorted(by_digest)
        for start in range(0, len(ordered), _BATCH):
            chunk = ordered[start : start + _BATCH]
            query = select(Entry.value_digest).where(
                Entry.bank_id == bank.id, Entry.signal_type == kind, Entry.value_digest.in_(chunk)
            )
            found.update((kind, by_digest[digest]) for digest in session.scalars(query))
    return found


def _export_pages(db: Database, bank_id: str) -> Iterator[list[ExportItem]]:
    """The bank's enabled content items with their enabled values, in id order."""
    after = 0
    while True:
        with db.read_session() as session:
            bank = session.get_one(Bank, bank_id)
            items = list_items(session, bank, limit=_BATCH, after_id=after)
            page = [
                ExportItem(
                    item.id,
                    item.external_id,
                    tuple(item.labels),
                    tuple((e.signal_type, e.value) for e in entries if e.enabled),
                )
                for item, entries in items
                if item.enabled and any(e.enabled for e in entries)
            ]
            last = items[-1][0].id if items else None
        if last is None:
            return
        after = last
        yield page


def _page(query: Select[*Ts], bank_id: str, limit: int, after_id: int) -> Select[*Ts]:
    """``query`` narrowed to the bank's entries after ``after_id``, in id order."""
    return (
        query.where(Entry.bank_id == bank_id, Entry.id > after_id).order_by(Entry.id).limit(limit)
    )


def _delete_some(session: Session, bank_id: str, limit: int) -> int:
    """Delete up to ``limit`` of the bank's entries, logging each change, or once they are
    gone up to ``limit`` of its content items; how many rows went."""
    chosen = select(Entry.id).where(Entry.bank_id == bank_id).limit(limit).scalar_subquery()
    deleted = session.scalars(delete(Entry).where(Entry.id.in_(chosen)).returning(Entry.id))
    ids = list(deleted)
    _log_changes(session, ids)
    if ids:
        return len(ids)
    items = select(ContentItem.id).where(ContentItem.bank_id == bank_id).limit(limit)
    query = delete(ContentItem).where(ContentItem.id.in_(items.scalar_subquery()))
    return len(session.scalars(query.returning(ContentItem.id)).all())


def _log_changes(session: Session, entry_ids: Sequence[int]) -> None:
    if entry_ids:
        session.execute(insert(EntryChange), [{"entry_id": i} for i in entry_ids])
