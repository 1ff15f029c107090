"""The review queue and its items, read-only: what is waiting, and why each item is there.

Deciding, claiming, media and reports come in the next part of the workspace; the item
page keeps a place for the decision form (``decision`` block of ``item.html``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from safeguard.api.state import app_state
from safeguard.errors import NotFound
from safeguard.moderation.queue import get_item, list_queue
from safeguard.screening.records import ScreeningRecord, get_screening
from safeguard.web.auth import Staff
from safeguard.web.pages import PageError, render

router = APIRouter()
PAGE_SIZE = 50
_MAX_PAGE = 10_000


def _page_number(raw: str | None) -> int:
    """The page asked for in the query; 1 for anything that is not a page number."""
    if raw is None or not raw.isdigit():
        return 1
    return min(max(int(raw), 1), _MAX_PAGE)


@router.get("/")
def queue(request: Request, staff: Staff, page: str | None = None) -> Response:
    """Open review items of every client, newest first, 50 a page."""
    number = _page_number(page)
    found = list_queue(
        app_state(request).db, "open", limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE
    )
    return render(
        request,
        "queue.html",
        staff=staff,
        items=found[:PAGE_SIZE],
        page=number,
        has_next=len(found) > PAGE_SIZE,
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
    return render(request, "item.html", staff=staff, item=found, screening=screening)
