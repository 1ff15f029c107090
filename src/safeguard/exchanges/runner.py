"""One fetch cycle of a configured exchange.

The cycle leases the exchange (so that one process fetches it at a time), resumes from
its stored checkpoint and applies each page in its own transaction together with the
page's checkpoint and the fetch log's counts: a fetch stopped anywhere (a failure, a
crash, a shutdown) has applied whole pages only, and the next one resumes after the last
of them. Adding a value the bank holds already only counts it, so a page applied again
changes nothing. A page that fails validation is rolled back whole and the fetch stops
with its error recorded; the exchange stays at the page before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from safeguard.errors import Conflict, NotFound, SafeguardError
from safeguard.exchanges import registry
from safeguard.exchanges.apply import Counts, apply_page
from safeguard.exchanges.base import Checkpoint, ExchangeAdapter, Page
from safeguard.store.db import Database, changed_rows, lock_change_log
from safeguard.store.models import Bank, Exchange, ExchangeFetch, new_uuid, utcnow

log = logging.getLogger("safeguard.exchanges")

LEASE = timedelta(minutes=10)
"""How long a fetch holds its exchange without applying a page before another process
may take it over (the first is then taken to have died)."""
MAX_ERROR = 500  # characters of an error kept


@dataclass(frozen=True)
class FetchResult:
    """What one fetch did; ``error`` is why it stopped early, if it did."""

    exchange: str
    pages: int
    counts: Counts
    error: str | None


@dataclass(frozen=True)
class _Claim:
    exchange_id: str
    name: str
    adapter: str
    config: dict[str, Any]
    checkpoint: Checkpoint | None
    token: str
    fetch_id: int


def fetch_exchange(
    db: Database,
    name: str,
    *,
    adapters: Mapping[str, ExchangeAdapter] | None = None,
    stop: threading.Event | None = None,
) -> FetchResult:
    """Fetch ``name`` from its checkpoint until its source has nothing more, a page
    fails, or ``stop`` is set. NotFound for an unknown exchange, Conflict while another
    fetch of it is under way. Errors of the source are recorded and answered in the
    result; an unexpected error is recorded by its type and raised."""
    claim = _claim(db, name)
    known = adapters if adapters is not None else registry.adapters()
    pages, totals, error = 0, Counts(), None
    try:
        adapter = known.get(claim.adapter)
        if adapter is None:
            raise NotFound(f"no exchange adapter {claim.adapter!r} is installed")
        for page in adapter.fetch(claim.config, claim.checkpoint):
            totals += _apply(db, claim, page)
            pages += 1
            if stop is not None and stop.is_set():
                break
    except SafeguardError as exc:
        error = exc.detail
    except Exception as exc:
        _finish(db, claim, f"internal error ({type(exc).__name__})")
        raise
    _finish(db, claim, error)
    if error is not None:
        log.warning("exchange %s: fetch stopped after %d pages: %s", name, pages, error[:200])
    return FetchResult(name, pages, totals, error)


def _claim(db: Database, name: str) -> _Claim:
    """Lease the exchange and open its fetch log entry."""
    with db.session() as session:
        exchange = session.scalar(select(Exchange).where(Exchange.name == name))
        if exchange is None:
            raise NotFound(f"no exchange named {name!r}")
        now, token = utcnow(), new_uuid()
        free = or_(Exchange.lease_owner.is_(None), Exchange.lease_until <= now)
        taken = update(Exchange).where(Exchange.id == exchange.id, free)
        if changed_rows(session, taken.values(lease_owner=token, lease_until=now + LEASE)) != 1:
            raise Conflict(f"exchange {name!r} is being fetched by another process")
        fetch = ExchangeFetch(exchange_id=exchange.id, started_at=now)
        session.add(fetch)
        session.flush()
        return _Claim(
            exchange.id,
            name,
            exchange.adapter,
            dict(exchange.config),
            exchange.checkpoint,
            token,
            fetch.id,
        )


def _apply(db: Database, claim: _Claim, page: Page) -> Counts:
    """Apply one page, store its checkpoint and count it, in one transaction."""
    with db.session() as session:
        lock_change_log(session)  # first: every writer of entries takes it
        exchange = session.get(Exchange, claim.exchange_id, populate_existing=True)
        if exchange is None or exchange.lease_owner != claim.token:
            raise Conflict(f"exchange {claim.name!r} was taken over by another fetch")
        bank = session.get(Bank, exchange.bank_id)
        if bank is None or bank.deleted_at is not None:
            raise NotFound(f"the bank of exchange {claim.name!r} was deleted")
        counts = apply_page(session, bank, claim.name, page)
        exchange.checkpoint = page.checkpoint
        exchange.lease_until = utcnow() + LEASE
        fetch = session.get(ExchangeFetch, claim.fetch_id)
        if fetch is not None:
            fetch.pages += 1
            fetch.added += counts.added
            fetch.updated += counts.updated
            fetch.removed += counts.removed
            fetch.skipped += counts.skipped
        return counts


def _finish(db: Database, claim: _Claim, error: str | None) -> None:
    """Record how the fetch ended and release the lease (if it is still ours)."""
    error = None if error is None else " ".join(error.split())[:MAX_ERROR]
    now = utcnow()
    with db.session() as session:
        fetch = session.get(ExchangeFetch, claim.fetch_id)
        if fetch is not None:
            fetch.finished_at = now
            fetch.error = error
        ours = update(Exchange).where(
            Exchange.id == claim.exchange_id, Exchange.lease_owner == claim.token
        )
        ended: dict[str, Any] = {
            "lease_owner": None,
            "lease_until": None,
            "last_fetch_at": now,
            "state": "failed" if error else "ok",
            "last_error": error,
        }
        if error is None:
            ended["last_success_at"] = now
        changed_rows(session, ours.values(**ended))
