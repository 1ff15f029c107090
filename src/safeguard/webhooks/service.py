"""Registering, listing and disabling webhook endpoints, and reading their deliveries.

An endpoint subscribes to event kinds of the log (``safeguard.events``) or to all of
them (``*``). Its secret is made here, returned once by ``add_endpoint`` and never shown
again (nor logged: the events of these admin actions leave it out). A new endpoint's
cursor starts at the newest event, so it gets what happens from then on, not the history.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.errors import BadRequest, Conflict, NotFound
from safeguard.events import Event, WebhookAdded, WebhookDisabled
from safeguard.store.db import Database
from safeguard.store.models import AuditEvent, WebhookDelivery, WebhookEndpoint, utcnow
from safeguard.webhooks.paging import DEFAULT_DELIVERIES as DEFAULT_DELIVERIES
from safeguard.webhooks.paging import MAX_DELIVERIES as MAX_DELIVERIES

ALL_EVENTS = "*"
MAX_URL = 2048
MAX_ACTOR = 128
MAX_KINDS = 100
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
DISABLED_ERROR = "endpoint disabled"


@dataclass(frozen=True)
class EndpointView:
    """A registered endpoint, without its secret."""

    id: str
    url: str
    events: list[str]
    created_by: str
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class DeliveryView:
    """One event for one endpoint and where its delivery stands."""

    endpoint_id: str
    event_id: int
    kind: str
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None


def known_kinds() -> list[str]:
    """Every event kind the log holds (each ``Event`` subclass), sorted."""
    found: set[str] = set()
    pending: list[type[Event]] = [Event]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if "kind" in vars(cls):
            found.add(cls.kind)
    return sorted(found)


def validate_url(url: str) -> str:
    """An absolute http(s) URL with a host, at most ``MAX_URL`` characters."""
    url = url.strip()
    if not url or len(url) > MAX_URL:
        raise BadRequest(f"the URL must be 1-{MAX_URL} characters")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise BadRequest("the URL must not hold spaces or control characters")
    try:
        parts = urlsplit(url)
        _port = parts.port  # raises on a port that is not a number or out of range
    except ValueError:
        raise BadRequest("the URL is not valid") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest("the URL must be http:// or https:// with a host")
    if parts.username is not None or parts.password is not None:
        raise BadRequest("the URL must not hold a user name or password")
    return url


def validate_kinds(kinds: Iterable[str]) -> list[str]:
    """Known event kinds, or just ``*`` (every kind); duplicates dropped, order kept."""
    chosen = list(dict.fromkeys(k.strip() for k in kinds))
    if not chosen:
        raise BadRequest("subscribe to at least one event kind (or '*' for all)")
    if len(chosen) > MAX_KINDS:
        raise BadRequest(f"subscribe to at most {MAX_KINDS} event kinds")
    if ALL_EVENTS in chosen:
        if len(chosen) > 1:
            raise BadRequest("'*' subscribes to every kind: give it alone")
        return chosen
    known = set(known_kinds())
    unknown = [k for k in chosen if k not in known]
    if unknown:
        raise BadRequest(f"unknown event kind {unknown[0][:64]!r} (see docs/webhooks.md)")
    return chosen


def _actor(actor: str) -> str:
    if not actor or len(actor) > MAX_ACTOR:
        raise BadRequest(f"the actor must be 1-{MAX_ACTOR} characters")
    return actor


def _view(row: WebhookEndpoint) -> EndpointView:
    return EndpointView(
        row.id, row.url, list(row.events), row.created_by, row.created_at, row.disabled_at
    )


def _endpoint(session: Session, endpoint_id: str) -> WebhookEndpoint:
    row = session.get(WebhookEndpoint, endpoint_id) if len(endpoint_id) <= 36 else None
    if row is None:
        raise NotFound(f"no webhook endpoint {endpoint_id[:64]!r}")
    return row


def add_endpoint(
    db: Database, url: str, kinds: Iterable[str], actor: str
) -> tuple[EndpointView, str]:
    """Register ``url`` for ``kinds`` (or ``["*"]``): the endpoint, and its signing secret,
    which is shown this once. It gets the events logged after it was added."""
    url = validate_url(url)
    chosen = validate_kinds(kinds)
    who = _actor(actor)
    secret = secrets.token_urlsafe(32)
    with db.session() as session:
        row = WebhookEndpoint(url=url, secret=secret, events=chosen, created_by=who)
        session.add(row)
        session.flush()
        events.record(session, WebhookAdded(who, row.id, url, chosen))
        session.flush()
        row.last_event_id = session.scalar(select(func.max(AuditEvent.id))) or 0
    return _view(row), secret


def list_endpoints(db: Database, include_disabled: bool = True) -> list[EndpointView]:
    """Every endpoint, oldest first."""
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    if not include_disabled:
        query = query.where(WebhookEndpoint.disabled_at.is_(None))
    with db.read_session() as session:
        return [_view(row) for row in session.scalars(query)]


def get_endpoint(db: Database, endpoint_id: str) -> EndpointView:
    with db.read_session() as session:
        return _view(_endpoint(session, endpoint_id))


def disable_endpoint(db: Database, endpoint_id: str, actor: str) -> EndpointView:
    """Stop all deliveries to the endpoint: nothing more is sent, and its pending
    deliveries are marked failed. 409 if it already is disabled."""
    who = _actor(actor)
    with db.session() as session:
        row = _endpoint(session, endpoint_id)
        if row.disabled_at is not None:
            raise Conflict(f"webhook endpoint {row.id} is already disabled")
        now = utcnow()
        row.disabled_at = now
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == row.id, WebhookDelivery.state == PENDING)
            .values(state=FAILED, last_error=DISABLED_ERROR)
        )
        events.record(session, WebhookDisabled(who, row.id, row.url))
    return _view(row)


def deliveries(
    db: Database, endpoint_id: str, limit: int = DEFAULT_DELIVERIES
) -> list[DeliveryView]:
    """The endpoint's most recent deliveries, newest event first."""
    if not 1 <= limit <= MAX_DELIVERIES:
        raise BadRequest(f"the limit must be 1-{MAX_DELIVERIES}")
    delivery = WebhookDelivery
    query = (
        select(delivery, AuditEvent.action)
        .join(AuditEvent, AuditEvent.id == delivery.event_id)
        .where(delivery.endpoint_id == endpoint_id)
        .order_by(delivery.event_id.desc())
        .limit(limit)
    )
    with db.read_session() as session:
        _endpoint(session, endpoint_id)
        return [
            DeliveryView(
                endpoint_id=row.endpoint_id,
                event_id=row.event_id,
                kind=kind,
                state=row.state,
                attempts=row.attempts,
                created_at=row.created_at,
                next_attempt_at=row.next_attempt_at if row.state == PENDING else None,
                delivered_at=row.delivered_at,
                last_status=row.last_status,
                last_error=row.last_error,
            )
            for row, kind in session.execute(query)
        ]
