"""Claiming review items and deciding them, as plain values.

A moderator claims an item (one user at a time: a conditional UPDATE, so that two
claims at once cannot both win), then decides it: ``confirmed`` or ``false_positive``
close it (status ``decided``), ``escalated`` hands it to the admins (status
``escalated``). A false positive of a screening may put the screening's own signal
values into a safelist, in the same transaction, so that the same content is allowed
from then on. An admin may reverse the latest decision of an item: the reversal is a
decision of its own (outcome ``reversed``) and the item is open again.

An appeal item (an affected user's appeal against a confirmed decision) is decided
``granted`` or ``denied`` (or escalated), never by the moderator whose decision it
appeals against: granting records a reversal of that decision on the original item,
which stays closed; denying lets the decision stand.

Every claim, release, decision, reversal and appeal outcome is an event in the
transaction of the change, naming the user; a reason's text is never logged, only its
length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.banks import service as banks
from safeguard.banks.models import BankKind, NewEntry, validate_bank_name
from safeguard.errors import BadRequest, Conflict, Forbidden, NotFound
from safeguard.events import (
    AppealDecided,
    ReviewClaimed,
    ReviewDecided,
    ReviewReleased,
    ReviewReversed,
)
from safeguard.moderation.people import Role, UserView, user_view
from safeguard.moderation.retention import DEFAULT_HOLD, after_decision
from safeguard.store.db import Database, changed_rows
from safeguard.store.models import (
    Appeal,
    Bank,
    ContentItem,
    ReviewDecision,
    ReviewItem,
    ScreeningSignal,
    User,
    utcnow,
)

MAX_REASON = 2000
REVERSED = "reversed"
"""The outcome recorded for an admin's reversal of an earlier decision."""
OPEN, DECIDED, ESCALATED = "open", "decided", "escalated"
APPEAL = "appeal"
"""The kind of an appeal's review item."""


class Outcome(StrEnum):
    """What a moderator may decide on an item."""

    CONFIRMED = "confirmed"
    """The item is what it was flagged as."""
    FALSE_POSITIVE = "false_positive"
    """The item was flagged wrongly (its signals may go into a safelist)."""
    ESCALATED = "escalated"
    """An admin should decide (the item leaves the open queue for the escalated one)."""
    GRANTED = "granted"
    """An appeal is right: the decision it appeals against is reversed."""
    DENIED = "denied"
    """An appeal is wrong: the decision it appeals against stands."""


_STATUS_AFTER = {
    Outcome.CONFIRMED: DECIDED,
    Outcome.FALSE_POSITIVE: DECIDED,
    Outcome.ESCALATED: ESCALATED,
    Outcome.GRANTED: DECIDED,
    Outcome.DENIED: DECIDED,
}
_ITEM_OUTCOMES = (Outcome.CONFIRMED, Outcome.FALSE_POSITIVE, Outcome.ESCALATED)
_APPEAL_OUTCOMES = (Outcome.GRANTED, Outcome.DENIED, Outcome.ESCALATED)
_IRREVERSIBLE = {REVERSED, Outcome.GRANTED.value, Outcome.DENIED.value}


@dataclass(frozen=True)
class ClaimView:
    """Who holds an item now (None: nobody) and since when."""

    item_id: str
    claimed_by: str | None
    claimed_at: datetime | None


@dataclass(frozen=True)
class DecisionView:
    """A decision on an item, by the user named ``user``; ``reverses_id`` is set for a
    reversal, ``reversed_by`` for a decision an admin reversed."""

    id: int
    item_id: str
    user: str
    outcome: str
    reason: str
    safelist_bank: str | None
    decided_at: datetime
    reverses_id: int | None = None
    reversed_by: int | None = None


def validate_outcome(outcome: Outcome | str) -> Outcome:
    """``outcome`` as an Outcome; BadRequest for another."""
    try:
        return Outcome(outcome)
    except ValueError:
        names = ", ".join(o.value for o in Outcome)
        raise BadRequest(f"unknown outcome {outcome!r}: use {names}") from None


def outcomes_for(kind: str) -> tuple[Outcome, ...]:
    """The outcomes an item of ``kind`` may be decided with."""
    return _APPEAL_OUTCOMES if kind == APPEAL else _ITEM_OUTCOMES


def can_reverse(outcome: str) -> bool:
    """Whether an admin may reverse a decision with ``outcome`` (not a reversal, nor the
    decision on an appeal)."""
    return outcome not in _IRREVERSIBLE


def validate_text(name: str, value: str, longest: int) -> str:
    """``value`` without surrounding space, if it has 1 to ``longest`` characters and
    no NUL; BadRequest naming it ``name`` otherwise."""
    text = value.strip()
    if not text or len(text) > longest or "\x00" in text:
        raise BadRequest(f"{name} must have 1 to {longest} characters, without NUL")
    return text


def validate_reason(reason: str) -> str:
    """``reason`` without surrounding space, if it has 1 to 2000 characters."""
    return validate_text("a decision's reason", reason, MAX_REASON)


def claim(db: Database, item_id: str, user: UserView) -> ClaimView:
    """Claim the item for ``user`` (a moderator or admin; escalated items only for
    admins). Claiming an item one holds already changes nothing; Conflict if another
    user holds it."""
    with db.session() as session:
        actor = _acting(session, user, Role.MODERATOR)
        _take(session, item_id, actor)
        return _claim_view(session, item_id)


def release(db: Database, item_id: str, user: UserView) -> ClaimView:
    """Let go of ``user``'s claim on the item (an admin may release anyone's); Conflict
    if another user holds it and ``user`` is no admin. An unclaimed item stays so."""
    with db.session() as session:
        actor = _acting(session, user, Role.MODERATOR)
        query = update(ReviewItem).where(
            ReviewItem.id == item_id, ReviewItem.claimed_by.is_not(None)
        )
        if not _is_admin(actor):
            query = query.where(ReviewItem.claimed_by == actor.id)
        if changed_rows(session, query.values(claimed_by=None, claimed_at=None)) == 1:
            events.record(session, ReviewReleased(actor.name, item_id))
        else:
            item = _item(session, item_id)
            if item.claimed_by is not None:  # another's, and this user is no admin
                raise Conflict(f"claimed by {_name(session, item.claimed_by)}")
        return _claim_view(session, item_id)


def decide(
    db: Database,
    item_id: str,
    user: UserView,
    outcome: Outcome | str,
    reason: str,
    safelist_bank: str | None = None,
    evidence_hold: timedelta = DEFAULT_HOLD,
) -> DecisionView:
    """Decide the item as ``user`` (a moderator or admin) with ``reason``; the evidence
    of a confirmed violation is held for ``evidence_hold`` (``retention.py``).

    The item must be open (or escalated, for an admin) and claimed by ``user``; an
    unclaimed item is claimed on the way. A false positive of a screening may name a
    safelist: the screening's own signal values are added to it, so the same content
    is allowed from then on (BadRequest if it is no safelist). An appeal item takes
    ``outcomes_for("appeal")``, the others the rest (BadRequest otherwise).
    """
    chosen = validate_outcome(outcome)
    text = validate_reason(reason)
    bank_name = safelist_bank or None
    if bank_name is not None and chosen is not Outcome.FALSE_POSITIVE:
        raise BadRequest("only a false positive may add to a safelist")
    with db.session() as session:
        actor = _acting(session, user, Role.MODERATOR)
        item = _take(session, item_id, actor)
        allowed = outcomes_for(item.kind)
        if chosen not in allowed:
            names = ", ".join(o.value for o in allowed)
            raise BadRequest(f"items of kind {item.kind!r} take {names}, not {chosen.value}")
        if chosen is Outcome.ESCALATED and item.status == ESCALATED:
            raise BadRequest("the item is escalated already: decide it otherwise")
        closed = update(ReviewItem).where(
            ReviewItem.id == item_id,
            ReviewItem.status == item.status,
            ReviewItem.claimed_by == actor.id,
        )
        new_status = _STATUS_AFTER[chosen]
        # A decided item no longer gathers repeat uploads (intake.py): the next opens anew.
        after = {"open_key": None} if new_status == DECIDED else {}
        changed = closed.values(status=new_status, claimed_by=None, claimed_at=None, **after)
        if changed_rows(session, changed) != 1:
            raise Conflict("the item changed meanwhile; reload it")
        if bank_name is not None:
            _add_to_safelist(session, item, bank_name, actor)
        decision = ReviewDecision(
            review_item_id=item_id,
            user_id=actor.id,
            outcome=chosen.value,
            reason=text,
            safelist_bank=bank_name,
        )
        session.add(decision)
        session.flush()
        events.record(
            session, ReviewDecided(actor.name, item_id, chosen.value, len(text), bank_name)
        )
        if chosen in (Outcome.GRANTED, Outcome.DENIED):
            _settle_appeal(session, item_id, chosen, actor, text)
        after_decision(session, item_id, chosen.value, actor.name, evidence_hold)
        return decision_view(decision, actor.name, None)


def reverse(db: Database, decision_id: int, admin: UserView, reason: str) -> DecisionView:
    """Reverse the decision ``decision_id`` (an admin only; the latest decision of its
    item, not reversed yet, not on an appeal) and open its item again. Entries a false
    positive put in a safelist are disabled (they stay in the bank, listed with their
    source)."""
    text = validate_reason(reason)
    with db.session() as session:
        actor = _acting(session, admin, Role.ADMIN)
        decision = session.get(ReviewDecision, decision_id)
        if decision is None:
            raise NotFound(f"no decision {decision_id}")
        if decision.outcome == REVERSED:
            raise BadRequest("a reversal cannot be reversed; decide the item again")
        if not can_reverse(decision.outcome):
            raise BadRequest("the decision on an appeal cannot be reversed")
        reversal = _reverse(session, decision, actor, text, OPEN)
        return decision_view(reversal, actor.name, None)


def is_appealed_decider(db: Database, item_id: str, user: UserView) -> bool:
    """Whether ``user`` made the decision that the appeal item ``item_id`` appeals
    against (so another must decide it); False for other items."""
    with db.read_session() as session:
        return _appealed_decider(session, item_id) == user.id


def latest_decision_id(session: Session, item_id: str) -> int | None:
    """The id of the item's latest decision (None if it has none)."""
    return session.scalar(
        select(func.max(ReviewDecision.id)).where(ReviewDecision.review_item_id == item_id)
    )


def history(db: Database, item_id: str) -> list[DecisionView]:
    """The decisions on the item, oldest first, with their users' names."""
    query = (
        select(ReviewDecision, User.name)
        .join(User, User.id == ReviewDecision.user_id)
        .where(ReviewDecision.review_item_id == item_id)
        .order_by(ReviewDecision.id)
    )
    with db.read_session() as session:
        rows = session.execute(query).all()
        reversed_by = {d.reverses_id: d.id for d, _ in rows if d.reverses_id is not None}
        return [decision_view(d, name, reversed_by.get(d.id)) for d, name in rows]


def _acting(session: Session, user: UserView, role: Role) -> User:
    """The user's row as it is now: Forbidden if disabled or without ``role``."""
    row = session.get(User, user.id)
    if row is None or row.disabled_at is not None:
        raise Forbidden("this user may no longer work the review queue")
    if not user_view(row).role.includes(role):
        raise Forbidden(f"this needs the {role.value} role")
    return row


def _is_admin(user: User) -> bool:
    return user_view(user).role.includes(Role.ADMIN)


def _item(session: Session, item_id: str) -> ReviewItem:
    item = session.get(ReviewItem, item_id, populate_existing=True)
    if item is None:
        raise NotFound(f"no review item {item_id!r}")
    return item


def _name(session: Session, user_id: str) -> str:
    return session.scalar(select(User.name).where(User.id == user_id)) or "another user"


def _take(session: Session, item_id: str, actor: User) -> ReviewItem:
    """Claim the item for ``actor`` unless they hold it already; the item as it is now.

    The claim is one conditional UPDATE: of two users claiming at once, one changes the
    row and the other finds it claimed (PostgreSQL re-checks the condition after the
    first commits; SQLite runs one writer at a time).
    """
    workable = [OPEN, ESCALATED] if _is_admin(actor) else [OPEN]
    if _appealed_decider(session, item_id) == actor.id:
        raise Forbidden("an appeal is decided by someone other than the decision's moderator")
    taken = (
        update(ReviewItem)
        .where(
            ReviewItem.id == item_id,
            ReviewItem.status.in_(workable),
            ReviewItem.claimed_by.is_(None),
        )
        .values(claimed_by=actor.id, claimed_at=utcnow())
    )
    if changed_rows(session, taken) == 1:
        events.record(session, ReviewClaimed(actor.name, item_id))
        return _item(session, item_id)
    item = _item(session, item_id)
    if item.status == ESCALATED and not _is_admin(actor):
        raise Forbidden("escalated items are decided by admins")
    if item.status not in workable:
        raise Conflict(f"the item is {item.status} already")
    if item.claimed_by != actor.id:
        raise Conflict(f"claimed by {_name(session, item.claimed_by or '')}")
    return item


def _appealed_decider(session: Session, item_id: str) -> str | None:
    """The user who made the decision the appeal item ``item_id`` appeals against
    (None for other items)."""
    return session.scalar(
        select(ReviewDecision.user_id)
        .join(Appeal, Appeal.decision_id == ReviewDecision.id)
        .where(Appeal.review_item_id == item_id)
    )


def _reverse(
    session: Session, decision: ReviewDecision, actor: User, text: str, status: str
) -> ReviewDecision:
    """Record ``actor``'s reversal of ``decision`` (the latest of its item) and put the
    item in ``status``, unclaimed; withdraw what the decision put in a safelist."""
    item_id = decision.review_item_id
    if latest_decision_id(session, item_id) != decision.id:
        raise Conflict("only the latest decision of an item can be reversed")
    expected = _STATUS_AFTER[Outcome(decision.outcome)]
    changed = update(ReviewItem).where(ReviewItem.id == item_id, ReviewItem.status == expected)
    if changed_rows(session, changed.values(status=status, claimed_by=None, claimed_at=None)) != 1:
        raise Conflict("the item changed meanwhile; reload it")
    if decision.safelist_bank is not None:
        _withdraw_from_safelist(session, item_id, decision.safelist_bank, actor)
    reversal = ReviewDecision(
        review_item_id=item_id,
        user_id=actor.id,
        outcome=REVERSED,
        reason=text,
        reverses_id=decision.id,
    )
    session.add(reversal)
    session.flush()
    events.record(session, ReviewReversed(actor.name, item_id, decision.id, len(text)))
    return reversal


def _settle_appeal(
    session: Session, item_id: str, outcome: Outcome, actor: User, text: str
) -> None:
    """Record the outcome of the appeal worked as ``item_id``; a granted appeal reverses
    its decision, and the original item stays closed."""
    appeal = session.scalars(select(Appeal).where(Appeal.review_item_id == item_id)).one()
    if outcome is Outcome.GRANTED:
        appealed = session.get_one(ReviewDecision, appeal.decision_id)
        try:
            _reverse(session, appealed, actor, text, DECIDED)
        except Conflict:
            raise Conflict(
                "the appealed decision was reversed or decided again meanwhile: deny the appeal"
            ) from None
    appeal.outcome = outcome.value
    appeal.decided_at = utcnow()
    events.record(session, AppealDecided(actor.name, appeal.id, outcome.value, appeal.decision_id))


def _claim_view(session: Session, item_id: str) -> ClaimView:
    item = _item(session, item_id)
    holder = _name(session, item.claimed_by) if item.claimed_by is not None else None
    return ClaimView(item_id, holder, item.claimed_at)


def _safelist(session: Session, name: str) -> Bank:
    validate_bank_name(name)
    try:
        bank = banks.get_bank(session, name)
    except NotFound:
        raise BadRequest(f"there is no safelist named {name!r}") from None
    if bank.kind != BankKind.SAFELIST.value:
        raise BadRequest(f"bank {name!r} is not a safelist")
    return bank


def _source(item_id: str) -> str:
    return f"false positive {item_id}"


def _add_to_safelist(session: Session, item: ReviewItem, name: str, actor: User) -> None:
    """Add the screening's own signal values to the safelist ``name``, as one content
    item whose source names the review item."""
    bank = _safelist(session, name)
    if item.kind != "screening" or item.screening_id is None:
        raise BadRequest("only a screening's signals can go into a safelist")
    signals = session.scalars(
        select(ScreeningSignal)
        .where(ScreeningSignal.screening_id == item.screening_id)
        .order_by(ScreeningSignal.id)
    ).all()
    if not signals:
        raise BadRequest("the screening's signal values are no longer recorded")
    entries = [
        NewEntry(s.signal_type, s.value, source=_source(item.id), item_key="false-positive")
        for s in signals
    ]
    banks.add_entries(session, bank, entries, actor=actor.name)


def _withdraw_from_safelist(session: Session, item_id: str, name: str, actor: User) -> None:
    """Disable the content items a false positive of ``item_id`` added to ``name``."""
    try:
        bank = banks.get_bank(session, name)
    except NotFound:  # the bank is gone, and its entries with it
        return
    added = session.scalars(
        select(ContentItem.id).where(
            ContentItem.bank_id == bank.id,
            ContentItem.source == _source(item_id),
            ContentItem.enabled,
        )
    ).all()
    for content_item_id in added:
        banks.set_item_enabled(session, bank, content_item_id, False, actor=actor.name)


def decision_view(decision: ReviewDecision, user: str, reversed_by: int | None) -> DecisionView:
    """``decision`` as a plain value, made by the user named ``user``."""
    return DecisionView(
        id=decision.id,
        item_id=decision.review_item_id,
        user=user,
        outcome=decision.outcome,
        reason=decision.reason,
        safelist_bank=decision.safelist_bank,
        decided_at=decision.decided_at,
        reverses_id=decision.reverses_id,
        reversed_by=reversed_by,
    )
