"""Reading the review queue, as plain values.

A client reads its own items (``list_review_items``, for the API); staff in the
moderator UI read every client's (``list_queue``, ``get_item``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from safeguard.errors import NotFound
from safeguard.store.db import Database
from safeguard.store.models import Conversation, ReviewItem


@dataclass(frozen=True)
class ReviewItemView:
    """A review item of ``client``; ``conversation_id`` is the client's own id of the
    conversation."""

    id: str
    kind: str
    client: str
    conversation_id: str | None
    screening_id: str | None
    reason: dict[str, Any]
    status: str
    created_at: datetime


def _items() -> Select[ReviewItem, str]:
    """Items with their conversation's external id (None for screenings: outer join)."""
    return select(ReviewItem, Conversation.external_id).outerjoin(
        Conversation, Conversation.id == ReviewItem.conversation_id
    )


def _view(item: ReviewItem, external_id: str | None) -> ReviewItemView:
    return ReviewItemView(
        id=item.id,
        kind=item.kind,
        client=item.client,
        conversation_id=external_id,
        screening_id=item.screening_id,
        reason=item.reason,
        status=item.status,
        created_at=item.created_at,
    )


def list_review_items(db: Database, client: str, status: str, limit: int) -> list[ReviewItemView]:
    """The client's items in ``status``, oldest first, at most ``limit``."""
    query = (
        _items()
        .where(ReviewItem.client == client, ReviewItem.status == status)
        .order_by(ReviewItem.created_at, ReviewItem.id)
        .limit(limit)
    )
    with db.read_session() as session:
        return [_view(item, external_id) for item, external_id in session.execute(query)]


def list_queue(
    db: Database, status: str = "open", *, limit: int = 50, offset: int = 0
) -> list[ReviewItemView]:
    """Every client's items in ``status``, newest first: at most ``limit``, after
    skipping ``offset`` (for staff, who review all clients)."""
    query = (
        _items()
        .where(ReviewItem.status == status)
        .order_by(ReviewItem.created_at.desc(), ReviewItem.id.desc())
        .limit(limit)
        .offset(offset)
    )
    with db.read_session() as session:
        return [_view(item, external_id) for item, external_id in session.execute(query)]


def get_item(db: Database, item_id: str) -> ReviewItemView:
    """The item ``item_id``, whichever client it belongs to (for staff); NotFound if
    there is none."""
    with db.read_session() as session:
        found = session.execute(_items().where(ReviewItem.id == item_id)).one_or_none()
        if found is None:
            raise NotFound(f"no review item {item_id!r}")
        item, external_id = found
        return _view(item, external_id)
