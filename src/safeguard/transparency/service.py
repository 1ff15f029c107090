"""Reading what a report needs: the period's events and the rows they name, in one
read-only transaction. The figures themselves are computed in ``sections.py``."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from safeguard import events as ev
from safeguard.events import RecordedEvent
from safeguard.store.db import Database
from safeguard.store.models import (
    Appeal,
    AuditEvent,
    Bank,
    ContentItem,
    Entry,
    ReviewItem,
    UserReport,
)
from safeguard.transparency.facts import BankFacts, Facts, ItemFact, ReportFact
from safeguard.transparency.kinds import (
    AUTHORITY_KINDS,
    CLIENT_KINDS,
    ITEM_KINDS,
    REPORT_KINDS,
)
from safeguard.transparency.period import Period

_CHUNK = 500
"""Ids per ``IN`` list (SQLite's older versions take 999 parameters at most)."""
_BATCH = 2000
"""Events read from the database at a time."""
_T = TypeVar("_T", str, int)
_ITEM_IN_DETAILS = (ev.ReportReceived, ev.AppealReceived, ev.AccountUnderMinimumAge)
_ENTRY_TOGGLES = {ev.BankEntryEnabled.kind: True, ev.BankEntryDisabled.kind: False}
_ITEM_TOGGLES = {ev.ContentItemEnabled.kind: True, ev.ContentItemDisabled.kind: False}


def load_facts(db: Database, period: Period, client: str | None = None) -> Facts:
    """What a report of ``period`` is computed from; only ``client``'s records (and
    the deployment's banks) when a client is named, every client's otherwise."""
    with db.read_session() as session:
        found = _events(session, [AuditEvent.at >= period.start, AuditEvent.at < period.end])
        appeals = _appeals(session, [e.subject for e in found if e.kind == ev.AppealDecided.kind])
        items = _items(session, period, _item_ids(found))
        if client is not None:
            found = [e for e in found if _owner(e, items, appeals) in (None, client)]
            items = {k: v for k, v in items.items() if v.client == client}
        decided = {e.subject for e in found if e.kind == ev.ReviewDecided.kind}
        earlier = sorted(
            (
                event
                for chunk in _chunks(decided)
                for event in _events(
                    session,
                    [AuditEvent.subject.in_(chunk), AuditEvent.at < period.start],
                    [ev.ReviewDecided.kind],
                )
            ),
            key=lambda event: event.id,
        )
        return Facts(
            period=period,
            client=client,
            events=found,
            items=items,
            earlier_decisions=earlier,
            reports=_reports(session, decided, period.end),
            appeals_received={k: at for k, (_, at) in appeals.items()},
            banks=_banks(session, period.end, found),
        )


def _chunks(values: Collection[_T]) -> Iterator[list[_T]]:
    """``values`` sorted, in slices short enough for one ``IN`` list on any backend."""
    ordered = sorted(values)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def _events(
    session: Session, where: Iterable[ColumnElement[bool]], kinds: Collection[str] = REPORT_KINDS
) -> list[RecordedEvent]:
    """The events of ``kinds`` that meet ``where``, oldest first."""
    columns = (AuditEvent.id, AuditEvent.at, AuditEvent.action, AuditEvent.client)
    query = select(*columns, AuditEvent.subject, AuditEvent.details)
    query = query.where(AuditEvent.action.in_(sorted(kinds)), *where).order_by(AuditEvent.id)
    return [
        RecordedEvent(*row) for row in session.execute(query.execution_options(yield_per=_BATCH))
    ]


def _item_ids(found: Iterable[RecordedEvent]) -> set[str]:
    """The review items the events name."""
    named: set[str] = set()
    in_details = {e.kind for e in _ITEM_IN_DETAILS} | AUTHORITY_KINDS
    for event in found:
        if event.kind in ITEM_KINDS:
            named.add(event.subject)
        elif event.kind in in_details:
            named.add(str(event.details["review_item_id"]))
    return named


def _items(session: Session, period: Period, named: Collection[str]) -> dict[str, ItemFact]:
    """The items ``named`` and those opened in the period."""
    opened = and_(ReviewItem.created_at >= period.start, ReviewItem.created_at < period.end)
    query = select(ReviewItem.id, ReviewItem.kind, ReviewItem.client, ReviewItem.created_at)
    wheres = [opened, *(ReviewItem.id.in_(chunk) for chunk in _chunks(named))]
    return {
        row.id: ItemFact(row.kind, row.client, row.created_at)
        for where in wheres
        for row in session.execute(query.where(where))
    }


def _appeals(session: Session, ids: Collection[str]) -> dict[str, tuple[str, datetime]]:
    """Each appeal's client and when it was received."""
    query = select(Appeal.id, Appeal.client, Appeal.created_at)
    return {
        row.id: (row.client, row.created_at)
        for chunk in _chunks(ids)
        for row in session.execute(query.where(Appeal.id.in_(chunk)))
    }


def _owner(
    event: RecordedEvent, items: dict[str, ItemFact], appeals: dict[str, tuple[str, datetime]]
) -> str | None:
    """The client an event's record belongs to (None: the deployment's, a bank's)."""
    if event.kind in CLIENT_KINDS:
        return event.client
    if event.kind in ITEM_KINDS:
        return items[event.subject].client
    if event.kind in AUTHORITY_KINDS:
        return items[str(event.details["review_item_id"])].client
    if event.kind == ev.AppealDecided.kind:
        return appeals[event.subject][0]
    return None


def _reports(session: Session, item_ids: Collection[str], end: datetime) -> list[ReportFact]:
    """The user reports of the items, received before ``end``, oldest first."""
    query = select(
        UserReport.review_item_id,
        UserReport.category,
        UserReport.target_kind,
        UserReport.created_at,
    ).where(UserReport.created_at < end)
    found = (
        ReportFact(*row)
        for chunk in _chunks(item_ids)
        for row in session.execute(query.where(UserReport.review_item_id.in_(chunk)))
    )
    return sorted(found, key=lambda report: (report.created_at, report.item_id))


def _banks(session: Session, end: datetime, found: list[RecordedEvent]) -> BankFacts:
    """Entries enabled at ``end`` (today's state with the toggles made since undone) and
    those added by the period's events, by signal type."""
    stored = (
        select(Entry.signal_type, func.count())
        .join(ContentItem, ContentItem.id == Entry.content_item_id)
        .join(Bank, Bank.id == Entry.bank_id)
        .where(Entry.created_at < end, Bank.deleted_at.is_(None))
        .group_by(Entry.signal_type)
    )
    enabled = stored.where(Entry.enabled.is_(True), ContentItem.enabled.is_(True))
    at_end: dict[str, int] = {str(t): int(n) for t, n in session.execute(enabled)}
    later = _events(session, [AuditEvent.at >= end], {*_ENTRY_TOGGLES, *_ITEM_TOGGLES})
    entry_then = _first_toggles(later, _ENTRY_TOGGLES, "entry_id")
    item_then = _first_toggles(later, _ITEM_TOGGLES, "content_item_id")
    changed = select(
        Entry.id, Entry.signal_type, Entry.enabled, ContentItem.id, ContentItem.enabled
    )
    changed = (
        changed.join(ContentItem, ContentItem.id == Entry.content_item_id)
        .join(Bank, Bank.id == Entry.bank_id)
        .where(Entry.created_at < end, Bank.deleted_at.is_(None))
    )
    wheres = [
        *(Entry.id.in_(chunk) for chunk in _chunks(entry_then)),
        *(ContentItem.id.in_(chunk) for chunk in _chunks(item_then)),
    ]
    toggled = {row[0]: row for where in wheres for row in session.execute(changed.where(where))}
    for entry_id, kind, entry_on, item_id, item_on in toggled.values():
        now_on = entry_on and item_on
        then_on = entry_then.get(entry_id, entry_on) and item_then.get(item_id, item_on)
        at_end[kind] = at_end.get(kind, 0) + int(then_on) - int(now_on)
    ranges = [
        Entry.id.between(e.details["first_entry_id"], e.details["last_entry_id"])
        for e in found
        if e.kind == ev.BankEntriesAdded.kind
    ]
    added: dict[str, int] = {}
    for where in ranges:
        for kind, n in session.execute(stored.where(where)):
            added[str(kind)] = added.get(str(kind), 0) + int(n)
    return BankFacts(dict(sorted(at_end.items())), dict(sorted(added.items())))


def _first_toggles(
    later: list[RecordedEvent], toggles: dict[str, bool], key: str
) -> dict[int, bool]:
    """Each entry's (or item's) state before its first toggle in ``later``: the opposite
    of what that toggle set."""
    before: dict[int, bool] = {}
    for event in later:
        if event.kind in toggles:
            before.setdefault(int(event.details[key]), not toggles[event.kind])
    return before
