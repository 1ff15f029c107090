"""Applying one page of an exchange's updates to its bank, in the caller's transaction.

Entries are written through ``banks.service`` (the change log, events and content items
work as for any import). What an exchange added is recognised by its content items'
``source`` (``exchange:<name>``), and its records' external ids are kept as
``<name>:<id>``, so that an exchange never changes entries that came from elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from safeguard.banks import service
from safeguard.banks.models import NewEntry
from safeguard.banks.values import value_digest
from safeguard.errors import InvalidList, SafeguardError
from safeguard.exchanges.base import Addition, Page, Removal
from safeguard.signals.registry import signal_types
from safeguard.store.models import Bank, ContentItem, Entry


@dataclass(frozen=True)
class Counts:
    """What applying pages did: entries added and removed, records updated, and updates
    skipped (signal types Safeguard does not know)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.added + other.added,
            self.updated + other.updated,
            self.removed + other.removed,
            self.skipped + other.skipped,
        )


def source_of(exchange: str) -> str:
    """The ``source`` of the content items an exchange adds."""
    return f"exchange:{exchange}"


def record_of(exchange: str, external_id: str | None) -> str | None:
    """The source's id of a record, from its external id as the bank keeps it (None for
    an external id the exchange did not give)."""
    prefix = _external(exchange, "")
    if external_id is None or not external_id.startswith(prefix):
        return None
    return external_id.removeprefix(prefix) or None


def apply_page(session: Session, bank: Bank, exchange: str, page: Page) -> Counts:
    """Apply ``page`` to ``bank``; InvalidList (nothing is applied, as the caller rolls
    back) for a value that is not valid for its signal type."""
    source = source_of(exchange)
    entries, skipped = _entries(page.additions, exchange, source)
    records: dict[str, _Record] = {}
    for addition in page.additions:  # those of unknown types too: they may be all left
        if addition.external_id is not None:
            labels = [label.strip() for label in addition.labels if label.strip()]
            records.setdefault(_external(exchange, addition.external_id), _Record(labels, set()))
    for entry in entries:
        if entry.external_id is not None:
            records[entry.external_id].values.add((entry.signal_type, entry.value))
    updated, removed = _update_records(session, bank, source, records)
    removed += _remove(session, bank, exchange, source, page.removals)
    if page.snapshot:
        removed += _remove_unlisted(session, bank, source, entries)
    result = service.add_entries(session, bank, entries, actor=source)
    return Counts(len(result.added_ids), updated, removed, skipped + page.skipped)


def _entries(
    additions: Iterable[Addition], exchange: str, source: str
) -> tuple[list[NewEntry], int]:
    """The additions of known signal types as validated entries, and how many were of
    other types."""
    known = signal_types()
    entries: list[NewEntry] = []
    skipped = 0
    for addition in additions:
        if addition.signal_type.strip().lower() not in known:
            skipped += 1
            continue
        external = (
            None if addition.external_id is None else _external(exchange, addition.external_id)
        )
        try:
            entries.append(
                NewEntry(
                    addition.signal_type,
                    addition.value,
                    external_id=external,
                    labels=addition.labels,
                    source=source,
                )
            )
        except SafeguardError as exc:
            record = f"record {addition.external_id!r}" if addition.external_id else "a value"
            raise InvalidList(f"{record} ({addition.signal_type}): {exc.detail}") from None
    return entries, skipped


def _external(exchange: str, external_id: str) -> str:
    """A record's external id as the bank keeps it."""
    return f"{exchange}:{external_id}"


@dataclass(frozen=True)
class _Record:
    """What a page lists of one record: its labels and its values of known types."""

    labels: list[str]
    values: set[tuple[str, str]]


def _update_records(
    session: Session, bank: Bank, source: str, records: dict[str, _Record]
) -> tuple[int, int]:
    """Bring the exchange's items of these records to what the page lists: labels
    replaced, values no longer listed removed. (records updated, entries removed)"""
    updated = removed = 0
    for item in _items(session, bank, source, sorted(records)):
        record = records[item.external_id or ""]
        changed = list(item.labels) != record.labels
        if changed:
            item.labels = record.labels
            session.flush()
        for entry in service.item_entries(session, item):
            if (entry.signal_type, entry.value) not in record.values:
                service.delete_entry(session, bank, entry.id, actor=source)
                removed += 1
                changed = True
        updated += changed
    return updated, removed


def _remove(
    session: Session, bank: Bank, exchange: str, source: str, removals: Sequence[Removal]
) -> int:
    """Delete the exchange's entries of withdrawn records and values; how many went."""
    records = sorted({_external(exchange, r.external_id) for r in removals if r.external_id})
    doomed = [
        entry.id
        for item in _items(session, bank, source, records)
        for entry in service.item_entries(session, item)
    ]
    for removal in removals:
        if removal.signal_type is not None and removal.value is not None:
            doomed.extend(_held_value(session, bank, source, removal.signal_type, removal.value))
    for entry_id in dict.fromkeys(doomed):
        service.delete_entry(session, bank, entry_id, actor=source)
    return len(set(doomed))


def _held_value(session: Session, bank: Bank, source: str, kind: str, value: str) -> list[int]:
    """The id of the exchange's entry of this value, if it holds one (values of unknown
    types or not valid for their type are held by no one)."""
    try:
        entry = NewEntry(kind, value)
    except SafeguardError:
        return []
    query = _held(bank, source).where(
        Entry.signal_type == entry.signal_type, Entry.value_digest == value_digest(entry.value)
    )
    return list(session.scalars(query.with_only_columns(Entry.id)))


def _remove_unlisted(session: Session, bank: Bank, source: str, entries: Sequence[NewEntry]) -> int:
    """Delete the exchange's entries whose values a snapshot no longer lists."""
    listed = {(entry.signal_type, value_digest(entry.value)) for entry in entries}
    query = _held(bank, source).with_only_columns(Entry.id, Entry.signal_type, Entry.value_digest)
    rows = session.execute(query)
    doomed = [row.id for row in rows if (row.signal_type, row.value_digest) not in listed]
    for entry_id in doomed:
        service.delete_entry(session, bank, entry_id, actor=source)
    return len(doomed)


def _held(bank: Bank, source: str) -> Select[Entry]:
    """The bank's entries in the exchange's items."""
    return (
        select(Entry)
        .join(ContentItem, ContentItem.id == Entry.content_item_id)
        .where(Entry.bank_id == bank.id, ContentItem.source == source)
        .order_by(Entry.id)
    )


def _items(session: Session, bank: Bank, source: str, external_ids: list[str]) -> list[ContentItem]:
    """The exchange's items of these (stored) external ids."""
    found: list[ContentItem] = []
    for start in range(0, len(external_ids), 1000):
        query = select(ContentItem).where(
            ContentItem.bank_id == bank.id,
            ContentItem.source == source,
            ContentItem.external_id.in_(external_ids[start : start + 1000]),
        )
        found.extend(session.scalars(query.order_by(ContentItem.id)))
    return found
