"""Banks, content items and entries for the API and the CLI: each call is its own
transaction and answers plain frozen values (``BankView``, ``ItemView``, ``EntryView``),
never ORM rows.

Whole-bank work that runs in batches (delete, import, export) is in ``service``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from safeguard.banks import service
from safeguard.banks.models import BankAction, BankKind, BankSpec, NewEntry
from safeguard.errors import Conflict
from safeguard.store.db import Database
from safeguard.store.models import Bank, ContentItem, Entry


@dataclass(frozen=True)
class BankView:
    """A bank's settings and how many entries it holds (all, and enabled)."""

    id: str
    name: str
    action: BankAction
    kind: BankKind
    thresholds: dict[str, int]
    created_at: datetime
    entries: int
    enabled_entries: int


@dataclass(frozen=True)
class EntryView:
    """One entry of the bank named ``bank``."""

    id: int
    bank: str
    content_item_id: int
    signal_type: str
    value: str
    external_id: str | None
    labels: tuple[str, ...]
    source: str | None
    enabled: bool
    created_at: datetime


@dataclass(frozen=True)
class ItemView:
    """One content item of the bank named ``bank``, with its entries."""

    id: int
    bank: str
    external_id: str | None
    note: str | None
    labels: tuple[str, ...]
    source: str | None
    enabled: bool
    created_at: datetime
    entries: tuple[EntryView, ...]


def list_banks(db: Database) -> list[BankView]:
    """Every bank, by name."""
    with db.read_session() as session:
        summaries = service.list_banks(session)
        return [_bank_view(s.bank, s.entries, s.enabled_entries) for s in summaries]


def create_bank(db: Database, spec: BankSpec, actor: str) -> BankView:
    """Create an empty bank (Conflict if the name is taken)."""
    with db.session() as session:
        return _bank_view(service.create_bank(session, spec, actor=actor), 0, 0)


def get_bank(db: Database, name: str) -> BankView:
    """The bank named ``name`` (NotFound if there is none)."""
    with db.read_session() as session:
        summary = service.summarise(session, service.get_bank(session, name))
        return _bank_view(summary.bank, summary.entries, summary.enabled_entries)


def list_entries(db: Database, name: str, *, limit: int, after_id: int = 0) -> list[EntryView]:
    """The bank's entries in id order, ``limit`` at a time after ``after_id``."""
    with db.read_session() as session:
        bank = service.get_bank(session, name)
        entries = service.list_entries(session, bank, limit=limit, after_id=after_id)
        return [_entry_view(entry, item, bank) for entry, item in entries]


def add_entries(
    db: Database, name: str, entries: Sequence[NewEntry], actor: str
) -> service.AddResult:
    """Add entries to the bank; values it holds already are only counted."""
    with db.session() as session:
        bank = service.get_bank(session, name)
        return service.add_entries(session, bank, entries, actor=actor)


def add_entry(db: Database, name: str, entry: NewEntry, actor: str) -> EntryView:
    """Add one entry (Conflict if the bank holds its value already)."""
    with db.session() as session:
        bank = service.get_bank(session, name)
        result = service.add_entries(session, bank, [entry], actor=actor)
        if not result.added_ids:
            raise Conflict(f"bank {name!r} already holds this {entry.signal_type} value")
        return _entry_view_of(session, service.get_entry(session, bank, result.added_ids[0]), bank)


def set_entry_enabled(
    db: Database, name: str, entry_id: int, enabled: bool, actor: str
) -> EntryView:
    """Enable or disable one entry of the bank; the entry after the change."""
    with db.session() as session:
        bank = service.get_bank(session, name)
        entry = service.set_entry_enabled(session, bank, entry_id, enabled, actor=actor)
        return _entry_view_of(session, entry, bank)


def delete_entry(db: Database, name: str, entry_id: int, actor: str) -> None:
    """Delete one entry of the bank (NotFound if the bank has no such entry)."""
    with db.session() as session:
        service.delete_entry(session, service.get_bank(session, name), entry_id, actor=actor)


def get_item(db: Database, name: str, item_id: int) -> ItemView:
    """One content item of the bank, with its entries (NotFound if there is none)."""
    with db.read_session() as session:
        bank = service.get_bank(session, name)
        item = service.get_item(session, bank, item_id)
        return _item_view(item, bank, service.item_entries(session, item))


def list_items(db: Database, name: str, *, limit: int, after_id: int = 0) -> list[ItemView]:
    """The bank's content items with their entries in id order, ``limit`` at a time
    after ``after_id``."""
    with db.read_session() as session:
        bank = service.get_bank(session, name)
        pages = service.list_items(session, bank, limit=limit, after_id=after_id)
        return [_item_view(item, bank, entries) for item, entries in pages]


def set_item_enabled(db: Database, name: str, item_id: int, enabled: bool, actor: str) -> ItemView:
    """Enable or disable a content item (all its entries at once); the item after it."""
    with db.session() as session:
        bank = service.get_bank(session, name)
        item = service.set_item_enabled(session, bank, item_id, enabled, actor=actor)
        return _item_view(item, bank, service.item_entries(session, item))


def _item_view(item: ContentItem, bank: Bank, entries: Sequence[Entry]) -> ItemView:
    return ItemView(
        id=item.id,
        bank=bank.name,
        external_id=item.external_id,
        note=item.note,
        labels=tuple(item.labels),
        source=item.source,
        enabled=item.enabled,
        created_at=item.created_at,
        entries=tuple(_entry_view(e, item, bank) for e in entries),
    )


def _bank_view(bank: Bank, entries: int, enabled_entries: int) -> BankView:
    return BankView(
        id=bank.id,
        name=bank.name,
        action=BankAction(bank.action),
        kind=BankKind(bank.kind),
        thresholds={t.signal_type: t.threshold for t in bank.thresholds},
        created_at=bank.created_at,
        entries=entries,
        enabled_entries=enabled_entries,
    )


def _entry_view_of(session: Session, entry: Entry, bank: Bank) -> EntryView:
    item = service.get_item(session, bank, entry.content_item_id)
    return _entry_view(entry, item, bank)


def _entry_view(entry: Entry, item: ContentItem, bank: Bank) -> EntryView:
    return EntryView(
        id=entry.id,
        bank=bank.name,
        content_item_id=item.id,
        signal_type=entry.signal_type,
        value=entry.value,
        external_id=item.external_id,
        labels=tuple(item.labels),
        source=item.source,
        enabled=entry.enabled,
        created_at=entry.created_at,
    )
