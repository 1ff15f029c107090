"""Bank and entry operations. Every change to an entry is written to the change log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeguard.banks.models import BankSpec, NewEntry, validate_bank_name
from safeguard.errors import Conflict, NotFound
from safeguard.store.db import lock_change_log
from safeguard.store.models import Bank, Entry, EntryChange

_BATCH = 5_000


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


def create_bank(session: Session, spec: BankSpec) -> Bank:
    if session.scalar(select(Bank.id).where(Bank.name == spec.name)) is not None:
        raise Conflict(f"bank {spec.name!r} already exists")
    bank = Bank(
        name=spec.name,
        action=spec.action.value,
        kind=spec.kind.value,
        pdq_threshold=spec.pdq_threshold,
    )
    session.add(bank)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"bank {spec.name!r} already exists") from None
    return bank


def get_bank(session: Session, name: str) -> Bank:
    validate_bank_name(name)
    bank = session.scalar(select(Bank).where(Bank.name == name))
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
    banks = session.scalars(select(Bank).order_by(Bank.name)).all()
    return [BankSummary(b, counts.get(b.id, 0), enabled.get(b.id, 0)) for b in banks]


def delete_bank(session: Session, name: str) -> None:
    bank = get_bank(session, name)
    lock_change_log(session)
    session.execute(
        insert(EntryChange).from_select(
            ["entry_id"], select(Entry.id).where(Entry.bank_id == bank.id)
        )
    )
    session.execute(delete(Entry).where(Entry.bank_id == bank.id))
    session.delete(bank)
    session.flush()


def add_entries(session: Session, bank: Bank, entries: Sequence[NewEntry]) -> AddResult:
    """Add entries to ``bank`` in this transaction; values the bank holds already are kept."""
    existing = _existing_values(session, bank, entries)
    seen: set[tuple[str, str]] = set()
    rows = []
    for entry in entries:
        key = (entry.signal_type, entry.value)
        if key in existing or key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                "bank_id": bank.id,
                "signal_type": entry.signal_type,
                "value": entry.value,
                "external_id": entry.external_id,
                "labels": list(entry.labels),
                "source": entry.source,
                "enabled": True,
            }
        )
    lock_change_log(session)
    added: list[int] = []
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        ids = session.scalars(insert(Entry).returning(Entry.id), batch).all()
        added.extend(ids)
        _log_changes(session, ids)
    return AddResult(added_ids=added, already_present=len(entries) - len(rows))


def get_entry(session: Session, bank: Bank, entry_id: int) -> Entry:
    entry = session.get(Entry, entry_id)
    if entry is None or entry.bank_id != bank.id:
        raise NotFound(f"bank {bank.name!r} has no entry {entry_id}")
    return entry


def set_entry_enabled(session: Session, bank: Bank, entry_id: int, enabled: bool) -> Entry:
    entry = get_entry(session, bank, entry_id)
    if entry.enabled != enabled:
        lock_change_log(session)
        session.execute(update(Entry).where(Entry.id == entry.id).values(enabled=enabled))
        _log_changes(session, [entry.id])
        session.refresh(entry)
    return entry


def delete_entry(session: Session, bank: Bank, entry_id: int) -> None:
    entry = get_entry(session, bank, entry_id)
    lock_change_log(session)
    session.execute(delete(Entry).where(Entry.id == entry.id))
    _log_changes(session, [entry_id])


def list_entries(session: Session, bank: Bank, *, limit: int, after_id: int = 0) -> list[Entry]:
    """Entries in id order, ``limit`` at a time after ``after_id`` (keyset pagination)."""
    query = (
        select(Entry)
        .where(Entry.bank_id == bank.id, Entry.id > after_id)
        .order_by(Entry.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def iter_export_rows(
    session: Session, bank: Bank
) -> Iterator[tuple[str, str, str | None, Iterable[str]]]:
    """(signal_type, value, external_id, labels) of every enabled entry, in id order."""
    after = 0
    while True:
        page = list_entries(session, bank, limit=_BATCH, after_id=after)
        if not page:
            return
        for entry in page:
            if entry.enabled:
                yield entry.signal_type, entry.value, entry.external_id, entry.labels
        after = page[-1].id


def _existing_values(
    session: Session, bank: Bank, entries: Sequence[NewEntry]
) -> set[tuple[str, str]]:
    wanted: dict[str, set[str]] = {}
    for entry in entries:
        wanted.setdefault(entry.signal_type, set()).add(entry.value)
    found: set[tuple[str, str]] = set()
    for kind, values in wanted.items():
        ordered = sorted(values)
        for start in range(0, len(ordered), _BATCH):
            chunk = ordered[start : start + _BATCH]
            query = select(Entry.value).where(
                Entry.bank_id == bank.id, Entry.signal_type == kind, Entry.value.in_(chunk)
            )
            found.update((kind, value) for value in session.scalars(query))
    return found


def _log_changes(session: Session, entry_ids: Sequence[int]) -> None:
    if entry_ids:
        session.execute(insert(EntryChange), [{"entry_id": i} for i in entry_ids])
