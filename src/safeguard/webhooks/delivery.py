"""Turning events into deliveries, and sending them, signed, until acknowledged.

Two steps, each safe to run in any number of workers at once:

- ``dispatch`` reads the log after each enabled endpoint's cursor and adds one pending
  delivery per subscribed event, moving the cursor in the same transaction. The move is
  conditional on the cursor read, so of two workers only one adds them (and the unique
  (endpoint, event) pair would refuse a second row in any case).
- ``send_due`` claims one due delivery at a time with a conditional UPDATE (after a
  ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL) that counts the attempt and leases
  the row for ``LEASE``, commits, POSTs it, then commits the answer: a 2xx marks it
  delivered for good; anything else schedules the next attempt with exponential backoff
  until the retry window (48 h by default) is over, then marks it failed.

Delivery is at least once: a worker that dies between the POST and the commit of its
answer leaves the row pending, and it is sent again once the lease is over. Receivers
drop repeats by the event id. Once a 2xx is committed, the row is never claimed again.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from safeguard import __version__
from safeguard.config import Settings
from safeguard.events import RecordedEvent, read_events
from safeguard.store.db import Database, changed_rows
from safeguard.store.models import AuditEvent, WebhookDelivery, WebhookEndpoint, utcnow
from safeguard.webhooks.service import ALL_EVENTS, DELIVERED, FAILED, PENDING
from safeguard.webhooks.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, sign
from safeguard.workers import PeriodicWorker

log = logging.getLogger("safeguard.webhooks")

DISPATCH_BATCH = 500  # events read per endpoint and transaction
SEND_BATCH = 100  # deliveries sent per pass at most
TIMEOUT_SECONDS = 10.0  # per connect, write and wait for the answer's head
LEASE = timedelta(seconds=60)  # a claimed delivery is not claimed again before this
# On PostgreSQL an event id can commit after a higher one: a gap in the ids younger than
# this may still fill, so the cursor waits before it; an older gap is a rolled-back write.
GAP_WAIT = timedelta(seconds=60)
MAX_ERROR = 200
USER_AGENT = f"Safeguard-Webhooks/{__version__}"


@dataclass(frozen=True)
class RetrySchedule:
    """When to try again: ``first`` after the first failure, doubling up to ``longest``
    (each delay shortened by up to a fifth at random, so that retries spread out), until
    ``window`` after the delivery was made; then it has failed."""

    first: timedelta = timedelta(seconds=30)
    longest: timedelta = timedelta(hours=1)
    window: timedelta = timedelta(hours=48)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetrySchedule:
        return cls(
            first=timedelta(seconds=settings.webhook_backoff_seconds),
            window=timedelta(hours=settings.webhook_retry_hours),
        )

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        doubled = self.first * 2 ** min(max(attempts - 1, 0), 30)
        seconds = min(doubled, self.longest).total_seconds()
        return timedelta(seconds=seconds * random.uniform(0.8, 1.0))

    def next_attempt(self, created_at: datetime, attempts: int, now: datetime) -> datetime | None:
        """When to try again after a failure, or None once the window is over (the last
        try falls on its end)."""
        deadline = created_at + self.window
        if now >= deadline:
            return None
        return min(now + self.delay(attempts), deadline)


def payload(event: RecordedEvent) -> bytes:
    """The JSON body sent for ``event``."""
    at = event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)
    body = {
        "id": event.id,
        "kind": event.kind,
        "at": at.astimezone(UTC).isoformat(),
        "actor": event.client,
        "subject": event.subject,
        "details": event.details,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def subscribed(kinds: Sequence[str], kind: str) -> bool:
    return ALL_EVENTS in kinds or kind in kinds


# --- dispatching: events into deliveries -------------------------------------------------


def dispatch(db: Database) -> int:
    """Add a pending delivery for every new event each enabled endpoint subscribes to;
    how many were added."""
    with db.read_session() as session:
        endpoint_ids = list(
            session.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.disabled_at.is_(None)))
        )
    added = 0
    for endpoint_id in endpoint_ids:
        more = True
        while more:
            count, more = _dispatch_endpoint(db, endpoint_id)
            added += count
    return added


def _dispatch_endpoint(db: Database, endpoint_id: str) -> tuple[int, bool]:
    """One batch of events for one endpoint: (deliveries added, whether more may wait)."""
    with db.session() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None or endpoint.disabled_at is not None:
            return 0, False
        cursor = endpoint.last_event_id
        batch = read_events(session, after=cursor, limit=DISPATCH_BATCH)
        if session.get_bind().dialect.name == "postgresql":
            taken = _before_young_gap(cursor, batch, utcnow())
        else:
            taken = batch  # one writer at a time: ids commit in order
        if not taken:
            return 0, False
        moved = changed_rows(
            session,
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.last_event_id == cursor)
            .values(last_event_id=taken[-1].id)
            .execution_options(synchronize_session=False),
        )
        if moved != 1:  # another worker dispatched these events
            return 0, False
        now = utcnow()
        wanted = [event for event in taken if subscribed(endpoint.events, event.kind)]
        session.add_all(
            WebhookDelivery(
                endpoint_id=endpoint_id,
                event_id=event.id,
                state=PENDING,
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
            for event in wanted
        )
    return len(wanted), len(taken) == DISPATCH_BATCH


def _before_young_gap(
    cursor: int, batch: list[RecordedEvent], now: datetime
) -> list[RecordedEvent]:
    """The events of ``batch`` before the first gap in ids that may still fill."""
    previous = cursor
    for index, event in enumerate(batch):
        if event.id != previous + 1 and now - event.at < GAP_WAIT:
            return batch[:index]
        previous = event.id
    return batch


# --- sending -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A delivery leased to this worker, with what sending it needs."""

    id: int
    url: str
    secret: str
    created_at: datetime
    attempts: int
    event: RecordedEvent


def claim(db: Database, due_by: datetime | None = None) -> Claimed | None:
    """Lease the delivery due first (by ``due_by``, default now), counting the attempt;
    None if none is due."""
    delivery = WebhookDelivery
    with db.session() as session:
        now = utcnow()
        due = now if due_by is None else min(due_by, now)
        query = (
            select(delivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == delivery.endpoint_id)
            .where(
                delivery.state == PENDING,
                delivery.next_attempt_at <= due,
                WebhookEndpoint.disabled_at.is_(None),
            )
            .order_by(delivery.next_attempt_at, delivery.id)
            .limit(1)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=delivery)
        delivery_id = session.scalar(query)
        if delivery_id is None:
            return None
        leased = changed_rows(
            session,
            update(delivery)
            .where(
                delivery.id == delivery_id,
                delivery.state == PENDING,
                delivery.next_attempt_at <= due,
            )
            .values(next_attempt_at=now + LEASE, attempts=delivery.attempts + 1)
            .execution_options(synchronize_session=False),
        )
        if leased != 1:
            return None
        return _claimed(session, delivery_id)


def _claimed(session: Session, delivery_id: int) -> Claimed:
    row = session.execute(
        select(WebhookDelivery, WebhookEndpoint, AuditEvent)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(AuditEvent, AuditEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id == delivery_id)
    ).one()
    delivery, endpoint, event = row
    recorded = RecordedEvent(
        event.id, event.at, event.action, event.client, event.subject, dict(event.details)
    )
    return Claimed(
        delivery.id, endpoint.url, endpoint.secret, delivery.created_at, delivery.attempts, recorded
    )


def post(client: httpx.Client, claimed: Claimed) -> tuple[int | None, str | None]:
    """POST the signed event: (the answer's status, or None; an error, or None on 2xx).
    The answer's body is never read."""
    body = payload(claimed.event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(claimed.secret, body, int(time.time())),
        EVENT_ID_HEADER: str(claimed.event.id),
    }
    try:
        with client.stream("POST", claimed.url, content=body, headers=headers) as response:
            status = response.status_code
    except httpx.HTTPError as exc:  # the URL may hold a token: name the error's type only
        return None, type(exc).__name__
    except (httpx.InvalidURL, ValueError, OSError) as exc:
        return None, type(exc).__name__
    if 200 <= status < 300:
        return status, None
    return status, f"HTTP {status}"


def finish(
    db: Database,
    claimed: Claimed,
    status: int | None,
    error: str | None,
    schedule: RetrySchedule,
) -> str:
    """Commit the outcome of an attempt: the delivery's state afterwards."""
    delivery = WebhookDelivery
    now = utcnow()
    if error is None:
        values: dict[str, object] = {
            "state": DELIVERED,
            "delivered_at": now,
            "last_status": status,
            "last_error": None,
        }
    else:
        retry_at = schedule.next_attempt(claimed.created_at, claimed.attempts, now)
        values = {"last_status": status, "last_error": error[:MAX_ERROR]}
        if retry_at is None:
            values["state"] = FAILED
        else:
            values["next_attempt_at"] = retry_at
    with db.session() as session:
        session.execute(
            update(delivery)
            .where(delivery.id == claimed.id, delivery.state == PENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return str(values.get("state", PENDING))


def send_due(
    db: Database,
    client: httpx.Client,
    schedule: RetrySchedule,
    limit: int = SEND_BATCH,
    stop: threading.Event | None = None,
) -> int:
    """Send up to ``limit`` deliveries due when the pass starts, one at a time (a retry
    falls to a later pass); how many were acknowledged."""
    acknowledged = 0
    started = utcnow()
    for _ in range(limit):
        if stop is not None and stop.is_set():
            break
        claimed = claim(db, started)
        if claimed is None:
            break
        status, error = post(client, claimed)
        if finish(db, claimed, status, error, schedule) == DELIVERED:
            acknowledged += 1
    return acknowledged


def new_client() -> httpx.Client:
    """The HTTP client deliveries go out with: short timeouts, no redirects."""
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)


class WebhookWorker(PeriodicWorker):
    """Dispatches and sends at start and then every ``interval``, on a daemon thread."""

    def __init__(
        self,
        db: Database,
        interval: timedelta = timedelta(seconds=5),
        schedule: RetrySchedule | None = None,
    ) -> None:
        super().__init__("webhooks", "delivering webhooks", interval, log)
        self.db = db
        self.schedule = schedule or RetrySchedule()
        self._client = new_client()

    def stop(self) -> bool:
        """Stop after the delivery under way, if any; a delivery sent but not yet marked
        is sent again later."""
        ended = super().stop()
        if ended:
            self._client.close()
        return ended

    def run_once(self) -> int:
        """One pass: dispatch new events, then send what is due; how many were
        acknowledged."""
        dispatch(self.db)
        return send_due(self.db, self._client, self.schedule, stop=self._stop)

    def run_pass(self, stop: threading.Event) -> bool:
        return self.run_once() >= SEND_BATCH
