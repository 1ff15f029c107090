"""Reading the review queue, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from safeguard.store.db import Database
from safeguard.store.models import Conversation, ReviewItem


@dataclass(frozen=True)
class ReviewItemView:
    """A review item; ``conversation_id`` is the client's own id of the conversation."""

    id: str
    kind: str
    conversation_id: str | None
    screening_id: str | None
    reason: dict[str, Any]
    status: str
    created_at: datetime


def list_review_items(db: Database, client: str, status: str, limit: int) -> list[ReviewItemView]:
    """The client's items in ``status``, oldest first, at most ``limit``."""
    query = (
        select(ReviewItem, Conversation.external_id)
        .outerjoin(Conversation, Conversation.id == ReviewItem.conversation_id)
        .where(ReviewItem.client == client, ReviewItem.status == status)
        .order_by(ReviewItem.created_at, ReviewItem.id)
        .limit(limit)
    )
    with db.read_session() as session:
        return [
            ReviewItemView(
                id=item.id,
                kind=item.kind,
                conversation_id=external_id,
                screening_id=item.screening_id,
                reason=item.reason,
                status=item.status,
                created_at=item.created_at,
            )
            for item, external_id in session.execute(query)
        ]
