"""Configured exchanges for the API, the CLI and the scheduled fetch: each call is its
own transaction and answers plain frozen values, never ORM rows."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeguard.banks import service as banks
from safeguard.errors import Conflict, InvalidName, NotFound
from safeguard.exchanges import feedback, registry
from safeguard.exchanges.apply import Counts
from safeguard.exchanges.feedback import FeedbackCounts
from safeguard.exchanges.runner import FetchResult, fetch_exchange
from safeguard.store.db import Database
from safeguard.store.models import AuditEvent, Bank, Exchange, ExchangeFetch

log = logging.getLogger("safeguard.exchanges")
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
RECENT_FETCHES = 5  # fetches a view lists, newest first


@dataclass(frozen=True)
class FetchView:
    """One fetch of an exchange, from the fetch log."""

    started_at: datetime
    finished_at: datetime | None
    pages: int
    added: int
    updated: int
    removed: int
    skipped: int
    error: str | None


@dataclass(frozen=True)
class ExchangeView:
    """A configured exchange, its position and its latest fetches."""

    name: str
    adapter: str
    bank: str
    config: dict[str, Any]
    checkpoint: dict[str, Any] | None
    state: str
    last_error: str | None
    last_fetch_at: datetime | None
    last_success_at: datetime | None
    fetching: bool
    fetches: tuple[FetchView, ...]
    feedback: FeedbackCounts | None = None
    """Opinions sent back to the source, for adapters whose source takes them."""


def add_exchange(
    db: Database, name: str, adapter: str, bank: str, config: Mapping[str, Any]
) -> ExchangeView:
    """Configure an exchange that fetches into ``bank`` (which must exist); its settings
    are checked by the adapter, which refuses credentials (ConfigError)."""
    if not _NAME.fullmatch(name):
        raise InvalidName(
            f"invalid exchange name {name!r}: use 1-64 lowercase letters, digits, '_', '.' "
            "or '-', starting with a letter or digit"
        )
    kind = registry.adapter(adapter)
    checked = kind.check_config(config)
    with db.session() as session:
        if session.scalar(select(Exchange.id).where(Exchange.name == name)) is not None:
            raise Conflict(f"exchange {name!r} already exists")
        target = banks.get_bank(session, bank)
        # Feedback covers decisions made from now on.
        latest = session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))
        exchange = Exchange(
            name=name,
            adapter=kind.name,
            bank_id=target.id,
            config=checked,
            feedback_event_id=latest,
        )
        session.add(exchange)
        session.flush()
        return _view(session, exchange, target)


def configure_exchange(db: Database, name: str, changes: Mapping[str, Any]) -> ExchangeView:
    """Change some of the exchange's settings, keeping the others; the whole is checked
    by its adapter as at ``add_exchange`` (NotFound for an unknown exchange)."""
    with db.session() as session:
        exchange = session.scalar(select(Exchange).where(Exchange.name == name))
        if exchange is None:
            raise NotFound(f"no exchange named {name!r}")
        kind = registry.adapter(exchange.adapter)
        exchange.config = kind.check_config({**exchange.config, **changes})
        session.flush()
        return _view(session, exchange, None)


def get_exchange(db: Database, name: str) -> ExchangeView:
    """The exchange called ``name`` (NotFound otherwise)."""
    with db.read_session() as session:
        exchange = session.scalar(select(Exchange).where(Exchange.name == name))
        if exchange is None:
            raise NotFound(f"no exchange named {name!r}")
        return _view(session, exchange, None)


def list_exchanges(db: Database) -> list[ExchangeView]:
    """Every exchange, by name."""
    with db.read_session() as session:
        found = session.scalars(select(Exchange).order_by(Exchange.name))
        return [_view(session, exchange, None) for exchange in found]


def retry_feedback(db: Database, name: str) -> int:
    """Queue the exchange's failed feedback again (after its settings, e.g. a negative
    reason, or the source were corrected); how many. NotFound for an unknown exchange."""
    with db.read_session() as session:
        exchange_id = session.scalar(select(Exchange.id).where(Exchange.name == name))
    if exchange_id is None:
        raise NotFound(f"no exchange named {name!r}")
    return feedback.retry_failed(db, exchange_id)


def fetch(db: Database, name: str) -> FetchResult:
    """Fetch one exchange now (see ``runner.fetch_exchange``)."""
    return fetch_exchange(db, name)


def fetch_all(db: Database, stop: threading.Event | None = None) -> list[FetchResult]:
    """Fetch every exchange that no other process is fetching, in name order; one that
    fails unexpectedly is answered with its error and the others are still fetched."""
    with db.read_session() as session:
        names = list(session.scalars(select(Exchange.name).order_by(Exchange.name)))
    results = []
    for name in names:
        if stop is not None and stop.is_set():
            break
        try:
            results.append(fetch_exchange(db, name, stop=stop))
        except (Conflict, NotFound):
            continue  # fetched elsewhere, or deleted meanwhile
        except Exception as exc:  # recorded by the runner; the others still run
            log.error("exchange %s: fetch failed (%s)", name, type(exc).__name__)
            error = f"internal error ({type(exc).__name__})"
            results.append(FetchResult(name, 0, Counts(), error))
    return results


def _view(session: Session, exchange: Exchange, bank: Bank | None) -> ExchangeView:
    bank = bank or session.get(Bank, exchange.bank_id)
    query = (
        select(ExchangeFetch)
        .where(ExchangeFetch.exchange_id == exchange.id)
        .order_by(ExchangeFetch.id.desc())
        .limit(RECENT_FETCHES)
    )
    fetches = tuple(
        FetchView(
            f.started_at,
            f.finished_at,
            f.pages,
            f.added,
            f.updated,
            f.removed,
            f.skipped,
            f.error,
        )
        for f in session.scalars(query)
    )
    return ExchangeView(
        name=exchange.name,
        adapter=exchange.adapter,
        bank=bank.name if bank is not None else "",
        config=dict(exchange.config),
        checkpoint=exchange.checkpoint,
        state=exchange.state,
        last_error=exchange.last_error,
        last_fetch_at=exchange.last_fetch_at,
        last_success_at=exchange.last_success_at,
        fetching=exchange.lease_owner is not None,
        fetches=fetches,
        feedback=(
            feedback.counts(session, exchange.id)
            if feedback.takes_feedback(registry.adapters().get(exchange.adapter))
            else None
        ),
    )
