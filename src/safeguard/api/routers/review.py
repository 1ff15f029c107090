"""The review queue: flagged conversations and screenings decided ``review``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from safeguard.api.openapi import PROTECTED, problem_responses
from safeguard.api.schemas import ReviewItemList, ReviewItemOut
from safeguard.api.state import AppState, ScreenClient, app_state
from safeguard.moderation.queue import list_review_items as read_queue

router = APIRouter(tags=["review"], responses=problem_responses(*PROTECTED))


@router.get("/v1/review-items")
def list_review_items(
    client: ScreenClient,
    state: Annotated[AppState, Depends(app_state)],
    status: Annotated[Literal["open"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ReviewItemList:
    """The caller's review items, most urgent first, then oldest first."""
    items = read_queue(state.db, client, status, limit)
    return ReviewItemList(items=[ReviewItemOut.model_validate(item) for item in items])
