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
from safeguard.store.models import Conversation, ReviewItem, User


@dataclass(frozen=True)
class ReviewItemView:
    """A review item of ``client``; ``conversation_id`` is the client's own id of the
    conversation; ``claimed_by`` the name of the user working on it, if any."""

    id: str
    kind: str
    client: str
    conversation_id: str | None
    screening_id: str | None
    reason: dict[str, Any]
    status: str
    created_at: datetime
    claimed_by: str | None = None
    claimed_at: datetime | None = None


def _items() -> Select[ReviewItem, str, str]:
    """Items with their conversation's external id (None for screenings: outer join)
    and the name of the user who claimed them (None if nobody)."""
    return (
        select(ReviewItem, Conversation.external_id, User.name)
        .outerjoin(Conversation, Conversation.id == ReviewItem.conversation_id)
        .outerjoin(User, User.id == ReviewItem.claimed_by)
    )


def _view(item: ReviewItem, external_id: str | None, claimer: str | None) -> ReviewItemView:
    return ReviewItemView(
        id=item.id,
        kind=item.kind,
        client=item.client,
        conversation_id=external_id,
        screening_id=item.screening_id,
        reason=item.reason,
        status=item.status,
        created_at=item.created_at,
        claimed_by=claimer,
        claimed_at=item.claimed_at if claimer is not None else None,
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
        return [_view(*row) for row in session.execute(query)]


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
        return [_view(*row) for row in session.execute(query)]


def get_item(db: Database, item_id: str) -> ReviewItemView:
    """The item ``item_id``, whichever client it belongs to (for staff); NotFound if
    there is none."""
    with db.read_session() as session:
        found = session.execute(_items().where(ReviewItem.id == item_id)).one_or_none()
        if found is None:
            raise NotFound(f"no review item {item_id!r}")
        return _view(*found)
