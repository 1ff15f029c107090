"""User reports: a client sends what one of its users reported (content, a screening, a
hash, a user or a conversation), and the report waits in the review queue.

A report whose target Safeguard knows (a screening of the client, the client's latest
screening of a content id, a conversation of the client) is put on that evidence: it
joins the client's undecided item for it, or opens one that shows it. Reports of the
same target join one item while it is undecided; its ``open_key`` names the target, so
two reports at once cannot both open one (the second insert fails inside a savepoint
and joins the first). Joining raises the item's priority to the report's category's.

A report's status follows its item: received, in review (claimed), escalated, actioned
(confirmed) or no violation (a false positive, or a confirmation reversed on appeal).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.errors import BadRequest, NotFound
from safeguard.events import ReportReceived
from safeguard.moderation.decisions import (
    APPEAL,
    DECIDED,
    ESCALATED,
    OPEN,
    Outcome,
    latest_decision_id,
    validate_text,
)
from safeguard.moderation.priority import Priority
from safeguard.signals.registry import signal_type
from safeguard.store.db import Database
from safeguard.store.models import (
    Conversation,
    ReviewDecision,
    ReviewItem,
    ReviewItemScreening,
    Screening,
    UserReport,
)

MAX_ID = 256
"""The longest reporter id, and the longest id of a target other than a hash."""
MAX_HASH = 65_536
"""The longest hash value of a target."""
MAX_TEXT = 4000
"""The longest text of a report."""
_E = TypeVar("_E", bound=StrEnum)


class Category(StrEnum):
    """What a report is about."""

    CSAM = "csam"
    GROOMING = "grooming"
    UNDERAGE_USER = "underage_user"
    OTHER = "other"


PRIORITIES = {
    Category.CSAM: Priority.REPORTED_ABUSE_MATERIAL,
    Category.GROOMING: Priority.REPORTED_GROOMING,
    Category.UNDERAGE_USER: Priority.REPORTED_UNDERAGE_USER,
    Category.OTHER: Priority.OTHER_REPORT,
}


class TargetKind(StrEnum):
    """What a report points at: the client's own id of content, a user or a
    conversation; one of the client's screenings; or a hash of a signal type."""

    CONTENT = "content"
    SCREENING = "screening"
    HASH = "hash"
    USER = "user"
    CONVERSATION = "conversation"


class ReportStatus(StrEnum):
    """Where a report stands, from its review item and the item's latest decision."""

    RECEIVED = "received"
    IN_REVIEW = "in_review"
    ESCALATED = "escalated"
    ACTIONED = "actioned"
    NO_VIOLATION = "no_violation"


@dataclass(frozen=True)
class Target:
    """What a report is about: ``value`` is the id, or the hash value for a hash of
    ``signal_type``."""

    kind: TargetKind
    value: str
    signal_type: str | None = None


@dataclass(frozen=True)
class NewReport:
    """A report as a client sends it."""

    reporter_id: str
    category: Category
    target: Target
    text: str | None = None


@dataclass(frozen=True)
class ReportView:
    """A report and where it stands; ``decision_id`` is the decision that closed its
    item (the one an appeal names), if closed."""

    id: str
    client: str
    reporter_id: str
    category: Category
    target: Target
    text: str | None
    review_item_id: str
    status: ReportStatus
    decision_id: int | None
    created_at: datetime


def validate_report(report: NewReport) -> NewReport:
    """``report`` with its hash normalised and its text stripped (None if empty);
    BadRequest (InvalidSignal for a hash) if a part is out of bounds."""
    reporter = validate_text("reporter_id", report.reporter_id, MAX_ID)
    category = _member(Category, report.category, "category")
    kind = _member(TargetKind, report.target.kind, "target kind")
    if kind is TargetKind.HASH:
        if not report.target.signal_type:
            raise BadRequest("a hash target needs a signal_type")
        found = signal_type(report.target.signal_type)
        value = found.normalise(validate_text("the hash", report.target.value, MAX_HASH))
        target = Target(kind, value, found.name)
    elif report.target.signal_type is not None:
        raise BadRequest("only a hash target has a signal_type")
    else:
        target = Target(kind, validate_text("the target's id", report.target.value, MAX_ID))
    given = report.text if report.text and report.text.strip() else None
    text = validate_text("a report's text", given, MAX_TEXT) if given is not None else None
    return NewReport(reporter, category, target, text)


def submit_report(db: Database, client: str, report: NewReport) -> ReportView:
    """Queue the client's ``report``: it joins the undecided item of its target, or
    opens one. NotFound for a screening target that is not one of the client's."""
    valid = validate_report(report)
    target = valid.target
    with db.session() as session:
        screening_id, conversation_id = _resolve(session, client, target)
        key = _open_key(target, screening_id, conversation_id)
        priority = int(PRIORITIES[valid.category])
        item = _undecided(session, client, key, screening_id, conversation_id)
        if item is None:
            item = ReviewItem(
                kind="report",
                client=client,
                screening_id=screening_id,
                conversation_id=conversation_id,
                reason={"category": valid.category.value, "target_kind": target.kind.value},
                priority=priority,
                open_key=key,
            )
            try:
                with session.begin_nested():
                    session.add(item)
            except IntegrityError:  # a report of the same target opened it meanwhile
                item = session.scalars(
                    select(ReviewItem).where(
                        ReviewItem.client == client, ReviewItem.open_key == key
                    )
                ).one()
        raised = update(ReviewItem).where(ReviewItem.id == item.id, ReviewItem.priority < priority)
        session.execute(
            raised.values(priority=priority), execution_options={"synchronize_session": False}
        )
        row = UserReport(
            client=client,
            reporter_id=valid.reporter_id,
            category=valid.category.value,
            target_kind=target.kind.value,
            target=target.value,
            signal_type=target.signal_type,
            text=valid.text,
            review_item_id=item.id,
        )
        session.add(row)
        session.flush()
        received = ReportReceived(client, row.id, row.category, row.target_kind, item.id)
        events.record(session, received)
        return _view(session, row)


def get_report(db: Database, client: str, report_id: str) -> ReportView:
    """The client's report ``report_id``; NotFound if absent or another client's."""
    with db.read_session() as session:
        row = session.get(UserReport, report_id)
        if row is None or row.client != client:
            raise NotFound(f"no report {report_id!r}")
        return _view(session, row)


def reports_for_item(db: Database, item_id: str) -> list[ReportView]:
    """The reports that joined the review item, oldest first (for staff)."""
    query = (
        select(UserReport)
        .where(UserReport.review_item_id == item_id)
        .order_by(UserReport.created_at, UserReport.id)
    )
    with db.read_session() as session:
        return [_view(session, row) for row in session.scalars(query)]


def _member(enum: type[_E], value: str, name: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        names = ", ".join(e.value for e in enum)
        raise BadRequest(f"unknown {name} {value!r}: use {names}") from None


def _resolve(session: Session, client: str, target: Target) -> tuple[str | None, str | None]:
    """The client's screening and conversation (internal id) the target names, if known."""
    if target.kind is TargetKind.SCREENING:
        screening = session.get(Screening, target.value)
        if screening is None or screening.client != client:
            raise NotFound(f"unknown target: no screening {target.value!r}")
        return screening.id, None
    if target.kind is TargetKind.CONTENT:
        latest = (
            select(Screening.id)
            .where(Screening.client == client, Screening.content_id == target.value)
            .order_by(Screening.created_at.desc(), Screening.id.desc())
            .limit(1)
        )
        return session.scalar(latest), None
    if target.kind is TargetKind.CONVERSATION:
        known = select(Conversation.id).where(
            Conversation.client == client, Conversation.external_id == target.value
        )
        return None, session.scalar(known)
    return None, None


def _open_key(target: Target, screening_id: str | None, conversation_id: str | None) -> str:
    """The name of what a report item is about, while it is undecided: the evidence
    it resolved to, else the target as sent."""
    if screening_id is not None:
        named = f"screening:{screening_id}"
    elif conversation_id is not None:
        named = f"conversation:{conversation_id}"
    else:
        named = f"{target.kind.value}:{target.signal_type or ''}:{target.value}"
    return "report:" + hashlib.sha256(named.encode()).hexdigest()


def _undecided(
    session: Session,
    client: str,
    key: str,
    screening_id: str | None,
    conversation_id: str | None,
) -> ReviewItem | None:
    """The client's oldest undecided item (not an appeal) for the same evidence or
    target, if any."""
    same = [ReviewItem.open_key == key]
    if screening_id is not None:
        joined = select(ReviewItemScreening.review_item_id).where(
            ReviewItemScreening.screening_id == screening_id
        )
        same += [ReviewItem.screening_id == screening_id, ReviewItem.id.in_(joined)]
    if conversation_id is not None:
        same.append(ReviewItem.conversation_id == conversation_id)
    query = (
        select(ReviewItem)
        .where(
            ReviewItem.client == client,
            ReviewItem.kind != APPEAL,
            ReviewItem.status.in_([OPEN, ESCALATED]),
            or_(*same),
        )
        .order_by(ReviewItem.created_at, ReviewItem.id)
        .limit(1)
    )
    return session.scalar(query)


def _view(session: Session, row: UserReport) -> ReportView:
    item = session.get_one(ReviewItem, row.review_item_id)
    decision_id = latest_decision_id(session, item.id) if item.status == DECIDED else None
    if item.status == ESCALATED:
        status = ReportStatus.ESCALATED
    elif decision_id is not None:
        outcome = session.get_one(ReviewDecision, decision_id).outcome
        confirmed = outcome == Outcome.CONFIRMED.value
        status = ReportStatus.ACTIONED if confirmed else ReportStatus.NO_VIOLATION
    else:
        status = ReportStatus.IN_REVIEW if item.claimed_by else ReportStatus.RECEIVED
    target = Target(TargetKind(row.target_kind), row.target, row.signal_type)
    return ReportView(
        id=row.id,
        client=row.client,
        reporter_id=row.reporter_id,
        category=Category(row.category),
        target=target,
        text=row.text,
        review_item_id=row.review_item_id,
        status=status,
        decision_id=decision_id,
        created_at=row.created_at,
    )
