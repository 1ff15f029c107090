"""The review queue and its items: what is waiting, why each item is there, who works on
it and what was decided (the forms that claim and decide are in ``decisions``).

Every role reads the open and the decided queue; the escalated queue is the admins'.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from safeguard.api.state import app_state
from safeguard.errors import NotFound
from safeguard.moderation.people import Role
from safeguard.moderation.queue import get_item, list_queue
from safeguard.screening.records import ScreeningRecord, get_screening
from safeguard.web.auth import Staff
from safeguard.web.decisions import decision_context
from safeguard.web.pages import PageError, render

router = APIRouter()
PAGE_SIZE = 50
_MAX_PAGE = 10_000
STATUSES = {"open": Role.VIEWER, "decided": Role.VIEWER, "escalated": Role.ADMIN}
"""The queues, with the role each needs."""


def _page_number(raw: str | None) -> int:
    """The page asked for in the query; 1 for anything that is not a page number."""
    if raw is None or not raw.isdigit():
        return 1
    return min(max(int(raw), 1), _MAX_PAGE)


@router.get("/")
def queue(
    request: Request, staff: Staff, page: str | None = None, status: str | None = None
) -> Response:
    """Review items of every client in one status (open unless asked), newest first,
    50 a page."""
    shown = status if status in STATUSES else "open"
    needed = STATUSES[shown]
    if not staff.user.role.includes(needed):
        raise PageError(403, "Not allowed", f"This page needs the {needed.value} role.", staff)
    number = _page_number(page)
    found = list_queue(
        app_state(request).db, shown, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE
    )
    return render(
        request,
        "queue.html",
        staff=staff,
        items=found[:PAGE_SIZE],
        page=number,
        has_next=len(found) > PAGE_SIZE,
        queue_status=shown,
    )


@router.get("/items/{item_id}")
def item(request: Request, staff: Staff, item_id: str) -> Response:
    """One item: what it is, whose, and the evidence that put it in the queue."""
    db = app_state(request).db
    try:
        found = get_item(db, item_id)
    except NotFound:
        raise PageError(404, "Not found", "There is no review item with this id.", staff) from None
    screening: ScreeningRecord | None = None
    if found.kind == "screening" and found.screening_id is not None:
        try:
            screening = get_screening(db, found.client, found.screening_id)
        except NotFound:  # its screening erased: the item's own reason still shows
            screening = None
    return render(
        request,
        "item.html",
        staff=staff,
        item=found,
        screening=screening,
        **decision_context(db, staff, found),
    )
