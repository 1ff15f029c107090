"""Feedback to an exchange's source: moderators' opinions of the records it supplied.

A moderator who decides a review item gives an opinion of every entry the item matched:
``confirmed`` says the matched record is right (affirmative), ``false_positive`` that
it is wrong (negative); other outcomes say nothing of the record. Nothing is sent in
the moderator's request. Two steps run in the worker, each safe in any number of
processes at once (as webhooks do, ``webhooks/delivery.py``):

- ``collect`` reads the ``review.decided`` events after each exchange's cursor and, for
  the matched entries that exchange added (content items of source ``exchange:<name>``),
  records the wanted opinion of each (record, fingerprint) in ``exchange_feedback``,
  moving the cursor in the same transaction (conditionally, so only one process does).
  An opinion equal to the one already wanted is not queued again, so the same opinion
  is never sent twice; a changed one replaces it.
- ``feedback_send.send_due`` sends the rows due and records the answers.

Only exchanges whose settings ask for feedback queue and send it. A reversal, an appeal
and an escalation say nothing of the record: what the source holds changes only with a
later ``confirmed`` or ``false_positive`` decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from safeguard.events import ReviewDecided
from safeguard.exchanges import registry
from safeguard.exchanges.apply import record_of, source_of
from safeguard.exchanges.base import (
    Config,
    ExchangeAdapter,
    FeedbackAdapter,
    Opinion,
)
from safeguard.moderation.decisions import Outcome
from safeguard.store.db import Database, changed_rows
from safeguard.store.models import (
    AuditEvent,
    ContentItem,
    Entry,
    Exchange,
    ExchangeFeedback,
    ReviewItem,
    utcnow,
)

PENDING, SENT, FAILED = "pending", "sent", "failed"
OPINIONS = {
    Outcome.CONFIRMED.value: Opinion.AFFIRMATIVE,
    Outcome.FALSE_POSITIVE.value: Opinion.NEGATIVE,
}
COLLECT_BATCH = 500  # events read per exchange and transaction
SETTLE = timedelta(seconds=60)
"""On PostgreSQL an event id can commit after a higher one: events younger than this
wait for a later pass (as webhooks wait for gaps in ids)."""


@dataclass(frozen=True)
class FeedbackCounts:
    """An exchange's feedback rows by state."""

    sent: int = 0
    pending: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Source:
    """An exchange whose adapter takes feedback, with its settings."""

    id: str
    name: str
    adapter: FeedbackAdapter
    config: Config


def takes_feedback(adapter: ExchangeAdapter | None) -> bool:
    """Whether the adapter's source takes opinions back."""
    return isinstance(adapter, FeedbackAdapter)


def counts(session: Session, exchange_id: str) -> FeedbackCounts:
    """How many of the exchange's feedback rows are sent, pending and failed."""
    query = (
        select(ExchangeFeedback.state, func.count())
        .where(ExchangeFeedback.exchange_id == exchange_id)
        .group_by(ExchangeFeedback.state)
    )
    found = {state: number for state, number in session.execute(query)}
    return FeedbackCounts(found.get(SENT, 0), found.get(PENDING, 0), found.get(FAILED, 0))


def collect(
    db: Database,
    adapters: Mapping[str, ExchangeAdapter] | None = None,
    settle: timedelta = SETTLE,
) -> int:
    """Queue the opinions of decisions made since each exchange's cursor; how many rows
    were queued or changed."""
    queued = 0
    for source in sources(db, adapters):
        more = True
        while more:
            count, more = _collect_batch(db, source, settle)
            queued += count
    return queued


def retry_failed(db: Database, exchange_id: str) -> int:
    """Queue the exchange's failed rows again (once its settings or the source are
    corrected); how many."""
    now = utcnow()
    again = update(ExchangeFeedback).where(
        ExchangeFeedback.exchange_id == exchange_id, ExchangeFeedback.state == FAILED
    )
    values = {"state": PENDING, "attempts": 0, "queued_at": now, "next_attempt_at": now}
    with db.session() as session:
        return changed_rows(session, again.values(**values))


def sources(db: Database, adapters: Mapping[str, ExchangeAdapter] | None = None) -> list[Source]:
    """The exchanges whose adapters take feedback, by name."""
    known = adapters if adapters is not None else registry.adapters()
    query = select(Exchange.id, Exchange.name, Exchange.adapter, Exchange.config)
    with db.read_session() as session:
        rows = session.execute(query.order_by(Exchange.name)).all()
    found: list[Source] = []
    for exchange_id, name, kind, config in rows:
        adapter = known.get(kind)
        if isinstance(adapter, FeedbackAdapter):
            found.append(Source(exchange_id, name, adapter, dict(config)))
    return found


def _collect_batch(db: Database, source: Source, settle: timedelta) -> tuple[int, bool]:
    """One batch of decisions for one exchange: (rows queued, whether more may wait).

    The cursor moves past every event read up to the horizon (the latest event old
    enough, on PostgreSQL, that no lower id can still commit), decisions or not, so each
    event is scanned about once."""
    with db.session() as session:
        cursor = session.scalar(select(Exchange.feedback_event_id).where(Exchange.id == source.id))
        if cursor is None:
            return 0, False
        settled = utcnow()
        if session.get_bind().dialect.name == "postgresql":
            settled -= settle  # SQLite has one writer at a time: ids commit in order
        horizon = session.scalar(
            select(AuditEvent.id)
            .where(AuditEvent.id > cursor, AuditEvent.at <= settled)
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
        if horizon is None:
            return 0, False
        query = (
            select(AuditEvent.id, AuditEvent.subject, AuditEvent.details)
            .where(
                AuditEvent.id > cursor,
                AuditEvent.id <= horizon,
                AuditEvent.action == ReviewDecided.kind,
            )
            .order_by(AuditEvent.id)
            .limit(COLLECT_BATCH)
        )
        decided = session.execute(query).all()
        full = len(decided) == COLLECT_BATCH
        moved = update(Exchange).where(
            Exchange.id == source.id, Exchange.feedback_event_id == cursor
        )
        last = decided[-1][0] if full else horizon
        if changed_rows(session, moved.values(feedback_event_id=last)) != 1:
            return 0, False  # another process collected these
        queued = 0
        if source.adapter.sends_feedback(source.config):
            for _, item_id, details in decided:
                opinion = OPINIONS.get(str(details.get("outcome")))
                if opinion is not None:
                    queued += _queue(session, source, item_id, opinion)
    return queued, full


def _queue(session: Session, source: Source, item_id: str, opinion: Opinion) -> int:
    """Want ``opinion`` of every fingerprint of the exchange's records the item matched;
    how many rows were added or changed."""
    changed = 0
    for record, fingerprint in _targets(session, source, item_id):
        now = utcnow()
        row = session.scalar(
            select(ExchangeFeedback)
            .where(
                ExchangeFeedback.exchange_id == source.id,
                ExchangeFeedback.record == record,
                ExchangeFeedback.fingerprint == fingerprint,
            )
            .with_for_update()
        )
        if row is None:
            row = ExchangeFeedback(
                exchange_id=source.id, record=record, fingerprint=fingerprint, sent_opinion=None
            )
            session.add(row)
        elif row.opinion == opinion.value:
            continue  # wanted already: queued, sent or given up
        row.opinion, row.review_item_id = opinion.value, item_id
        row.state = SENT if row.sent_opinion == opinion.value else PENDING
        row.attempts, row.queued_at, row.next_attempt_at, row.last_error = 0, now, now, None
        session.flush()
        changed += 1
    return changed


def _targets(session: Session, source: Source, item_id: str) -> list[tuple[str, str]]:
    """(record, fingerprint) of the exchange's entries the item matched, sorted; entries
    deleted since (the source withdrew or changed the record) are left out."""
    reason = session.scalar(select(ReviewItem.reason).where(ReviewItem.id == item_id)) or {}
    matches = reason.get("matches") or []
    entry_ids = [
        m["entry_id"] for m in matches if isinstance(m, dict) and isinstance(m.get("entry_id"), int)
    ]
    if not entry_ids:
        return []
    query = (
        select(ContentItem.external_id, Entry.signal_type)
        .join(ContentItem, ContentItem.id == Entry.content_item_id)
        .where(Entry.id.in_(entry_ids), ContentItem.source == source_of(source.name))
    )
    found = set()
    for external_id, signal_type in session.execute(query):
        record = record_of(source.name, external_id)
        if record is not None:
            found.add((record, source.adapter.fingerprint(signal_type)))
    return sorted(found)
