"""Putting screenings in the review queue: a block or a review decision opens an item,
and repeated uploads of the same content join the item that is still undecided.

The content is named by its ``open_key`` (one of its exact signal values, preferring
SHA-256); the key is unique per client among undecided items, so two uploads at once
cannot both open an item: the second insert fails inside a savepoint and joins the first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from safeguard import events
from safeguard.events import ReviewJoined
from safeguard.moderation.priority import Priority
from safeguard.screening.policy import Decision
from safeguard.signals.base import SignalValue
from safeguard.store.db import changed_rows
from safeguard.store.models import (
    ReviewItem,
    ReviewItemBank,
    ReviewItemScreening,
)

_KEY_PREFERENCE = ("sha256", "md5")
_MAX_KEY = 128


def content_key(shown: Mapping[str, SignalValue | None]) -> str | None:
    """The name of the content for joining repeat uploads: its SHA-256, else its MD5,
    else its first value by signal type name (None if it has no value)."""
    known = {name: v.value for name, v in shown.items() if v is not None}
    if not known:
        return None
    name = next((n for n in _KEY_PREFERENCE if n in known), min(known))
    key = f"{name}:{known[name]}"
    if len(key) > _MAX_KEY:
        key = f"{name}:sha256:{hashlib.sha256(known[name].encode()).hexdigest()}"
    return key


def queue_screening(
    session: Session,
    *,
    client: str,
    screening_id: str,
    decision: Decision,
    matches: list[dict[str, Any]],
    bank_ids: Collection[str],
    key: str | None,
) -> str:
    """Open a review item for a screening that blocked or asked for review, or join the
    client's undecided item for the same content; the item's id."""
    priority = Priority.BLOCKED_UPLOAD if decision is Decision.BLOCK else Priority.UPLOAD_FOR_REVIEW
    item = ReviewItem(
        kind="screening",
        client=client,
        screening_id=screening_id,
        reason={"decision": decision.value, "matches": matches},
        priority=int(priority),
        open_key=key,
    )
    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:
        if key is None:
            raise
        return _join(session, client, key, screening_id, int(priority), bank_ids)
    _link(session, item.id, screening_id, bank_ids)
    return item.id


def _join(
    session: Session,
    client: str,
    key: str,
    screening_id: str,
    priority: int,
    bank_ids: Collection[str],
) -> str:
    """Add one more upload to the undecided item of ``key`` (raising its priority if
    this upload's is higher); the item's id."""
    item_id = session.scalars(
        select(ReviewItem.id).where(ReviewItem.client == client, ReviewItem.open_key == key)
    ).one()
    raised = update(ReviewItem).where(ReviewItem.id == item_id, ReviewItem.priority < priority)
    changed_rows(session, raised.values(priority=priority))
    known = set(
        session.scalars(
            select(ReviewItemBank.bank_id).where(ReviewItemBank.review_item_id == item_id)
        )
    )
    _link(session, item_id, screening_id, [b for b in bank_ids if b not in known])
    session.flush()
    uploads = session.scalar(select(uploads_of(item_id))) or 0
    events.record(session, ReviewJoined(client, item_id, screening_id, uploads))
    return item_id


def uploads_of(item_id: str | ColumnElement[str] | InstrumentedAttribute[str]) -> ScalarSelect[int]:
    """How many uploads joined the item ``item_id`` (a scalar subquery)."""
    return (
        select(func.count())
        .select_from(ReviewItemScreening)
        .where(ReviewItemScreening.review_item_id == item_id)
        .scalar_subquery()
    )


def _link(session: Session, item_id: str, screening_id: str, bank_ids: Collection[str]) -> None:
    session.add(ReviewItemScreening(review_item_id=item_id, screening_id=screening_id))
    session.add_all(ReviewItemBank(review_item_id=item_id, bank_id=b) for b in set(bank_ids))


def item_screening_ids(session: Session, item_id: str) -> list[str]:
    """The screenings of an item: its own and those of the uploads that joined it."""
    joined = session.scalars(
        select(ReviewItemScreening.screening_id).where(
            ReviewItemScreening.review_item_id == item_id
        )
    )
    own = session.scalar(select(ReviewItem.screening_id).where(ReviewItem.id == item_id))
    return sorted({*joined, *([own] if own else [])})
