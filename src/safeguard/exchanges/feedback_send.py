"""Sending an exchange's queued feedback (``feedback.py``) until its source takes it.

``send_due`` claims one due row at a time with a conditional UPDATE (after a ``SELECT
... FOR UPDATE SKIP LOCKED`` on PostgreSQL) that counts the attempt and leases the row
for ``LEASE``, commits, sends it through the adapter, then commits the answer: taken
(``sent``, and the source holds that opinion); refused (an HTTP 4xx) or not expressible
with the settings (no negative reason): ``failed`` with the error, never retried; not
sent now (a 5xx, a time-out, the network, credentials unset): retried with exponential
backoff until the retry window (48 hours from when the opinion was queued) is over, then
``failed``. An opinion that changed while the previous one was being sent is sent next.

At least once: a process that dies between sending and recording leaves the row pending,
and it is sent again once the lease is over (the same opinion of the same fingerprint,
put again).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from safeguard.errors import SafeguardError
from safeguard.exchanges.base import ExchangeAdapter, ExchangeRefused, FeedbackUnsendable, Opinion
from safeguard.exchanges.feedback import FAILED, PENDING, SENT, Source, sources
from safeguard.store.db import Database, changed_rows
from safeguard.store.models import ExchangeFeedback, utcnow
from safeguard.webhooks.delivery import RetrySchedule

SEND_BATCH = 100  # rows sent per exchange and pass at most
LEASE = timedelta(minutes=2)  # a claimed row is not claimed again before this
SCHEDULE = RetrySchedule(first=timedelta(minutes=1), longest=timedelta(hours=1))
MAX_ERROR = 500


@dataclass(frozen=True)
class _Claimed:
    id: int
    record: str
    fingerprint: str
    opinion: Opinion
    queued_at: datetime
    attempts: int


def send_due(
    db: Database,
    adapters: Mapping[str, ExchangeAdapter] | None = None,
    schedule: RetrySchedule = SCHEDULE,
    limit: int = SEND_BATCH,
    stop: threading.Event | None = None,
) -> int:
    """Send what is due when the pass starts (a retry falls to a later pass), up to
    ``limit`` rows per exchange; how many the sources took."""
    taken = 0
    started = utcnow()
    for source in sources(db, adapters):
        if not source.adapter.sends_feedback(source.config):
            continue  # rows queued before it was turned off wait
        for _ in range(limit):
            if stop is not None and stop.is_set():
                return taken
            claimed = _claim(db, source.id, started)
            if claimed is None:
                break
            error, retry = _send(source, claimed)
            taken += _finish(db, claimed, error, retry, schedule) == SENT
    return taken


def _claim(db: Database, exchange_id: str, due_by: datetime) -> _Claimed | None:
    """Lease the exchange's row due first, counting the attempt; None if none is due."""
    row = ExchangeFeedback
    with db.session() as session:
        due = min(due_by, utcnow())
        query = (
            select(row.id)
            .where(row.exchange_id == exchange_id, row.state == PENDING, row.next_attempt_at <= due)
            .order_by(row.next_attempt_at, row.id)
            .limit(1)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row_id = session.scalar(query)
        if row_id is None:
            return None
        leased = update(row).where(
            row.id == row_id, row.state == PENDING, row.next_attempt_at <= due
        )
        values = {"next_attempt_at": utcnow() + LEASE, "attempts": row.attempts + 1}
        if changed_rows(session, leased.values(**values)) != 1:
            return None
        found = session.get_one(row, row_id, populate_existing=True)
        return _Claimed(
            found.id,
            found.record,
            found.fingerprint,
            Opinion(found.opinion),
            found.queued_at,
            found.attempts,
        )


def _send(source: Source, claimed: _Claimed) -> tuple[str | None, bool]:
    """Send one row: (the error, or None once taken; whether to try again)."""
    try:
        source.adapter.send_feedback(
            source.config, claimed.record, claimed.fingerprint, claimed.opinion
        )
    except (ExchangeRefused, FeedbackUnsendable) as exc:
        return exc.detail, False
    except SafeguardError as exc:  # unreachable, 5xx, time-out, credentials unset
        return exc.detail, True
    except Exception as exc:  # kept pending and retried, as the source's own failures
        return f"internal error ({type(exc).__name__})", True
    return None, False


def _finish(
    db: Database, claimed: _Claimed, error: str | None, retry: bool, schedule: RetrySchedule
) -> str:
    """Record the answer to one attempt; the row's state afterwards."""
    row = ExchangeFeedback
    now = utcnow()
    same = update(row).where(row.id == claimed.id, row.opinion == claimed.opinion.value)
    with db.session() as session:
        if error is None:
            values = {"state": SENT, "sent_opinion": claimed.opinion.value, "sent_at": now}
            if changed_rows(session, same.values(last_error=None, **values)) == 1:
                return SENT
            # The opinion changed while this one was sent: the source holds this one now.
            changed = update(row).where(row.id == claimed.id)
            held = {"sent_opinion": claimed.opinion.value, "sent_at": now}
            changed_rows(session, changed.values(state=PENDING, next_attempt_at=now, **held))
            return PENDING
        retry_at = (
            schedule.next_attempt(claimed.queued_at, claimed.attempts, now) if retry else None
        )
        outcome = {"next_attempt_at": retry_at} if retry_at else {"state": FAILED}
        failed = same.where(row.state == PENDING).values(last_error=error[:MAX_ERROR], **outcome)
        changed_rows(session, failed)
        return PENDING if retry_at else FAILED
