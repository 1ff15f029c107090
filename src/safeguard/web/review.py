"""The review queue and its items: what is waiting, why each item is there, who works on
it and what was decided (the forms that claim and decide are in ``decisions``).

Every role reads the open and the decided queue; the escalated queue is the admins'.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from safeguard.api.state import AppState, app_state
from safeguard.errors import NotFound
from safeguard.moderation.appeals import appeal_for_item
from safeguard.moderation.media import IN_QUEUE, exposure, item_media
from safeguard.moderation.people import Role
from safeguard.moderation.queue import (
    QueueFilter,
    ReviewItemView,
    flagged_messages,
    get_item,
    item_banks,
    item_uploads,
    list_queue,
    participants,
)
from safeguard.moderation.reports import reports_for_item
from safeguard.moderation.ui_sessions import SessionView
from safeguard.screening.records import ScreeningRecord, get_screening
from safeguard.web.auth import Staff
from safeguard.web.decisions import decision_context
from safeguard.web.pages import PageError, render
from safeguard.web.reporting import authority_context

router = APIRouter()
PAGE_SIZE = 50
_MAX_PAGE = 10_000
STATUSES = {"open": Role.VIEWER, "decided": Role.VIEWER, "escalated": Role.ADMIN}
"""The queues, with the role each needs."""
KINDS = {
    "screening": "Uploads",
    "conversation": "Conversations",
    "report": "User reports",
    "appeal": "Appeals",
    "account": "Accounts",
}
"""The sources of items, with the names the queue's filter gives them."""


def _page_number(raw: str | None) -> int:
    """The page asked for in the query; 1 for anything that is not a page number."""
    if raw is None or not raw.isdigit():
        return 1
    return min(max(int(raw), 1), _MAX_PAGE)


@router.get("/")
def queue(
    request: Request,
    staff: Staff,
    page: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    bank: str | None = None,
) -> Response:
    """Review items of every client in one status (open unless asked), most urgent first
    and then oldest first, 50 a page; optionally of one kind or matched in one bank."""
    shown = status if status in STATUSES else "open"
    needed = STATUSES[shown]
    if not staff.user.role.includes(needed):
        raise PageError(403, "Not allowed", f"This page needs the {needed.value} role.", staff)
    db = app_state(request).db
    banks = item_banks(db)
    chosen = QueueFilter(shown, kind if kind in KINDS else None, bank if bank in banks else None)
    number = _page_number(page)
    found = list_queue(db, chosen, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE)
    return render(
        request,
        "queue.html",
        staff=staff,
        items=found[:PAGE_SIZE],
        page=number,
        has_next=len(found) > PAGE_SIZE,
        queue_status=shown,
        chosen=chosen,
        kinds=KINDS,
        banks=banks,
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
    if found.screening_id is not None:
        try:
            screening = get_screening(db, found.client, found.screening_id)
        except NotFound:  # its screening erased: the item's own reason still shows
            screening = None
    state = app_state(request)
    return render(
        request,
        "item.html",
        staff=staff,
        item=found,
        screening=screening,
        uploads=item_uploads(db, item_id),
        people=participants(db, item_id),
        messages=flagged_messages(db, item_id),
        reports=reports_for_item(db, item_id),
        appeal=appeal_for_item(db, item_id),
        **_media_context(state, staff, found),
        **decision_context(db, staff, found),
        **authority_context(state, staff, found),
    )


def _media_context(state: AppState, staff: SessionView, found: ReviewItemView) -> dict[str, Any]:
    """The item's media, whether this user may see it, and their exposure so far."""
    return {
        "media": item_media(state.db, found.id) if state.keyring is not None else [],
        "vault_on": state.keyring is not None,
        "can_view": staff.user.role.includes(Role.MODERATOR) and found.status in IN_QUEUE,
        "exposure": exposure(state.db, staff.user, staff.started_at),
        "break_after": state.settings.break_after_items,
    }
