"""Appeals: the user a confirmed decision affected asks for it to be looked at again.

An appeal names a decision of the client's (the latest of its item, confirmed, not
reversed) and waits in the review queue as an item of kind ``appeal`` that shows the
original item's evidence. Someone other than the decision's moderator decides it
(``decisions.decide``): ``granted`` reverses the decision, ``denied`` lets it stand.
A decision has at most one undecided appeal: the appeal item's ``open_key`` names the
decision, so two appeals at once cannot both be queued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.errors import BadRequest, Conflict, Forbidden, NotFound
from safeguard.events import AppealReceived
from safeguard.moderation.decisions import (
    APPEAL,
    ESCALATED,
    DecisionView,
    Outcome,
    decision_view,
    latest_decision_id,
    validate_text,
)
from safeguard.moderation.priority import Priority
from safeguard.store.db import Database
from safeguard.store.models import Appeal, ReviewDecision, ReviewItem, Screening, User

MAX_APPELLANT = 256
MAX_REASON = 4000
"""The longest reason of an appeal."""


class AppealStatus(StrEnum):
    """Where an appeal stands."""

    PENDING = "pending"
    IN_REVIEW = "in_review"
    GRANTED = "granted"
    DENIED = "denied"


@dataclass(frozen=True)
class AppealView:
    """An appeal, where it stands, and the decision it appeals against (``decision``,
    on the item ``decision.item_id``)."""

    id: str
    client: str
    decision_id: int
    appellant_id: str
    reason: str
    review_item_id: str
    status: AppealStatus
    created_at: datetime
    decided_at: datetime | None
    decision: DecisionView


def submit_appeal(
    db: Database, client: str, decision_id: int, appellant_id: str, reason: str
) -> AppealView:
    """Queue ``appellant_id``'s appeal against the client's decision ``decision_id``.

    NotFound for a decision that is not the client's; BadRequest for one that is not a
    confirmation; Conflict if it is no longer its item's latest (reversed or decided
    again) or has an undecided appeal; Forbidden if the item names the affected user
    (a screening's uploader) and it is not the appellant.
    """
    appellant = validate_text("appellant_id", appellant_id, MAX_APPELLANT)
    text = validate_text("an appeal's reason", reason, MAX_REASON)
    with db.session() as session:
        decision = session.get(ReviewDecision, decision_id)
        original = session.get(ReviewItem, decision.review_item_id) if decision else None
        if decision is None or original is None or original.client != client:
            raise NotFound(f"no decision {decision_id}")
        if decision.outcome != Outcome.CONFIRMED.value:
            raise BadRequest("only a confirmed decision can be appealed")
        if latest_decision_id(session, original.id) != decision.id:
            raise Conflict("the decision was reversed or decided again: it cannot be appealed")
        if original.screening_id is not None:
            uploader = session.scalar(
                select(Screening.uploader_id).where(Screening.id == original.screening_id)
            )
            if uploader is not None and uploader != appellant:
                raise Forbidden("only the user the decision affected may appeal it")
        undecided = select(Appeal.id).where(
            Appeal.decision_id == decision_id, Appeal.outcome.is_(None)
        )
        if session.scalar(undecided) is not None:
            raise Conflict(f"decision {decision_id} has an undecided appeal already")
        item = ReviewItem(
            kind=APPEAL,
            client=client,
            screening_id=original.screening_id,
            conversation_id=original.conversation_id,
            reason={"decision_id": decision_id, "item_id": original.id},
            priority=int(Priority.APPEAL),
            open_key=f"appeal:{decision_id}",
        )
        session.add(item)
        try:
            session.flush()
        except IntegrityError:  # another appeal of the decision was queued meanwhile
            raise Conflict(f"decision {decision_id} has an undecided appeal already") from None
        appeal = Appeal(
            client=client,
            decision_id=decision_id,
            appellant_id=appellant,
            reason=text,
            review_item_id=item.id,
        )
        session.add(appeal)
        session.flush()
        events.record(session, AppealReceived(client, appeal.id, decision_id, item.id))
        return _view(session, appeal)


def get_appeal(db: Database, client: str, appeal_id: str) -> AppealView:
    """The client's appeal ``appeal_id``; NotFound if absent or another client's."""
    with db.read_session() as session:
        appeal = session.get(Appeal, appeal_id)
        if appeal is None or appeal.client != client:
            raise NotFound(f"no appeal {appeal_id!r}")
        return _view(session, appeal)


def appeal_for_item(db: Database, item_id: str) -> AppealView | None:
    """The appeal worked as the review item ``item_id`` (None for other items)."""
    with db.read_session() as session:
        appeal = session.scalar(select(Appeal).where(Appeal.review_item_id == item_id))
        return _view(session, appeal) if appeal is not None else None


def _view(session: Session, appeal: Appeal) -> AppealView:
    item = session.get_one(ReviewItem, appeal.review_item_id)
    if appeal.outcome is not None:
        status = AppealStatus(appeal.outcome)
    elif item.claimed_by is not None or item.status == ESCALATED:
        status = AppealStatus.IN_REVIEW
    else:
        status = AppealStatus.PENDING
    decision, moderator = session.execute(
        select(ReviewDecision, User.name)
        .join(User, User.id == ReviewDecision.user_id)
        .where(ReviewDecision.id == appeal.decision_id)
    ).one()
    return AppealView(
        id=appeal.id,
        client=appeal.client,
        decision_id=appeal.decision_id,
        appellant_id=appeal.appellant_id,
        reason=appeal.reason,
        review_item_id=appeal.review_item_id,
        status=status,
        created_at=appeal.created_at,
        decided_at=appeal.decided_at,
        decision=decision_view(decision, moderator, None),
    )
