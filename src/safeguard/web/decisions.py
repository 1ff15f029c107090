"""Claiming and deciding review items in the UI: the forms of an item's page and where
they post. Moderators and admins work open items, admins escalated ones and reversals;
viewers read the decisions only (their posts are refused with 403). An appeal item is
granted or denied, and not by the moderator whose decision it appeals against."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from safeguard.api.state import app_state
from safeguard.banks.catalog import list_banks
from safeguard.banks.models import BankKind
from safeguard.errors import SafeguardError
from safeguard.moderation import decisions
from safeguard.moderation.decisions import APPEAL, MAX_REASON, Outcome
from safeguard.moderation.people import Role
from safeguard.moderation.queue import ReviewItemView
from safeguard.moderation.ui_sessions import SessionView
from safeguard.store.db import Database
from safeguard.web.auth import PostingStaff
from safeguard.web.pages import PageError, redirect, refused

router = APIRouter()
FormField = Annotated[str, Form()]
OUTCOMES = {
    Outcome.CONFIRMED: "Confirmed: the item is what it was flagged as",
    Outcome.FALSE_POSITIVE: "False positive: it was flagged wrongly",
    Outcome.ESCALATED: "Escalate: an admin should decide",
    Outcome.GRANTED: "Grant the appeal: the decision is reversed",
    Outcome.DENIED: "Deny the appeal: the decision stands",
}


def decision_context(db: Database, staff: SessionView, item: ReviewItemView) -> dict[str, Any]:
    """What the item page needs to show its decisions and, to whom may, the forms."""
    role = staff.user.role
    admin = role.includes(Role.ADMIN)
    own_appeal = item.kind == APPEAL and decisions.is_appealed_decider(db, item.id, staff.user)
    workable = (
        role.includes(Role.MODERATOR)
        and (item.status == "open" or (item.status == "escalated" and admin))
        and not own_appeal
    )
    taken = decisions.history(db, item.id)
    latest = taken[-1] if taken else None
    reversible = latest if admin and latest and decisions.can_reverse(latest.outcome) else None
    safelists: list[str] = []
    if workable and item.kind == "screening":
        safelists = [bank.name for bank in list_banks(db) if bank.kind is BankKind.SAFELIST]
    outcomes = {
        outcome: OUTCOMES[outcome]
        for outcome in decisions.outcomes_for(item.kind)
        if not (outcome is Outcome.ESCALATED and item.status == "escalated")
    }
    return {
        "decisions": taken,
        "workable": workable,
        "own_appeal": own_appeal,
        "mine": item.claimed_by == staff.user.name,
        "reversible": reversible,
        "safelists": safelists,
        "outcomes": outcomes,
        "max_reason": MAX_REASON,
    }


def _allowed(staff: SessionView, role: Role) -> None:
    if not staff.user.role.includes(role):
        raise PageError(403, "Not allowed", f"This needs the {role.value} role.", staff)


@router.post("/items/{item_id}/claim")
def claim(request: Request, staff: PostingStaff, item_id: str) -> Response:
    """Claim the item, then show it again."""
    _allowed(staff, Role.MODERATOR)
    try:
        decisions.claim(app_state(request).db, item_id, staff.user)
    except SafeguardError as exc:
        raise refused(exc, staff) from None
    return redirect(request, f"/items/{item_id}")


@router.post("/items/{item_id}/release")
def release(request: Request, staff: PostingStaff, item_id: str) -> Response:
    """Let go of the claim on the item, then show it again."""
    _allowed(staff, Role.MODERATOR)
    try:
        decisions.release(app_state(request).db, item_id, staff.user)
    except SafeguardError as exc:
        raise refused(exc, staff) from None
    return redirect(request, f"/items/{item_id}")


@router.post("/items/{item_id}/decide")
def decide(
    request: Request,
    staff: PostingStaff,
    item_id: str,
    outcome: FormField = "",
    reason: FormField = "",
    safelist_bank: FormField = "",
) -> Response:
    """Decide the item, then go back to the queue (where it no longer is)."""
    _allowed(staff, Role.MODERATOR)
    try:
        state = app_state(request)
        decisions.decide(
            state.db,
            item_id,
            staff.user,
            outcome,
            reason,
            safelist_bank or None,
            timedelta(days=state.settings.evidence_hold_days),
        )
    except SafeguardError as exc:
        raise refused(exc, staff) from None
    return redirect(request, "/")


@router.post("/decisions/{decision_id}/reverse")
def reverse(
    request: Request, staff: PostingStaff, decision_id: int, reason: FormField = ""
) -> Response:
    """Reverse a decision (admins), then show its item, open again."""
    _allowed(staff, Role.ADMIN)
    try:
        reversal = decisions.reverse(app_state(request).db, decision_id, staff.user, reason)
    except SafeguardError as exc:
        raise refused(exc, staff) from None
    return redirect(request, f"/items/{reversal.item_id}")
