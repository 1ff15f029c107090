"""The review queue: flagged conversations and screenings decided ``review``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select

from safeguard.api.state import AppState, app_state, require_client
from safeguard.store.models import Conversation, ReviewItem

router = APIRouter(tags=["review"])


@router.get("/v1/review-items")
def list_review_items(
    client: Annotated[str, Depends(require_client)],
    state: Annotated[AppState, Depends(app_state)],
    status: Annotated[Literal["open"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, object]:
    """The caller's review items, oldest first."""
    query = (
        select(ReviewItem, Conversation.external_id)
        .outerjoin(Conversation, Conversation.id == ReviewItem.conversation_id)
        .where(ReviewItem.client == client, ReviewItem.status == status)
        .order_by(ReviewItem.created_at, ReviewItem.id)
        .limit(limit)
    )
    with state.db.read_session() as session:
        items = [
            {
                "id": item.id,
                "kind": item.kind,
                "conversation_id": external_id,
                "screening_id": item.screening_id,
                "reason": item.reason,
                "status": item.status,
                "created_at": item.created_at.isoformat(),
            }
            for item, external_id in session.execute(query)
        ]
    return {"items": items}
