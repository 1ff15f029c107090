"""Reading the review queue, as plain values.

A client reads its own items (``list_review_items``, for the API); staff in the
moderator UI read every client's (``list_queue``, ``get_item``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from safeguard.errors import NotFound
from safeguard.moderation.intake import uploads_of
from safeguard.store.db import Database
from safeguard.store.models import (
    Bank,
    Conversation,
    ConversationMessage,
    ReviewItem,
    ReviewItemBank,
    ReviewItemScreening,
    Screening,
    User,
)

_MAX_SCANNED = 10_000  # messages read to find the flagged ones, at most


@dataclass(frozen=True)
class ReviewItemView:
    """A review item of ``client``; ``conversation_id`` is the client's own id of the
    conversation; ``claimed_by`` the name of the user working on it, if any."""

    id: str
    kind: str
    client: str
    conversation_id: str | None
    screening_id: str | None
    reason: dict[str, Any]
    status: str
    created_at: datetime
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    priority: int = 0
    occurrences: int = 0
    """How many uploads of the same content joined the item (screenings)."""


@dataclass(frozen=True)
class UploadView:
    """One upload that joined a screening item: when, by whom, under which content id."""

    screening_id: str
    created_at: datetime
    uploader_id: str | None
    content_id: str | None


@dataclass(frozen=True)
class QueueFilter:
    """Which items a queue page shows: ``status``, and if set only one ``kind``
    (screening, conversation, report, appeal) or only items matched in the bank named
    ``bank``."""

    status: str = "open"
    kind: str | None = None
    bank: str | None = None


def _items() -> Select[ReviewItem, str, str, int]:
    """Items with their conversation's external id (None for screenings: outer join),
    the name of the user who claimed them (None if nobody) and their uploads."""
    return (
        select(ReviewItem, Conversation.external_id, User.name, uploads_of(ReviewItem.id))
        .outerjoin(Conversation, Conversation.id == ReviewItem.conversation_id)
        .outerjoin(User, User.id == ReviewItem.claimed_by)
    )


def _view(
    item: ReviewItem, external_id: str | None, claimer: str | None, uploads: int
) -> ReviewItemView:
    return ReviewItemView(
        id=item.id,
        kind=item.kind,
        client=item.client,
        conversation_id=external_id,
        screening_id=item.screening_id,
        reason=item.reason,
        status=item.status,
        created_at=item.created_at,
        claimed_by=claimer,
        claimed_at=item.claimed_at if claimer is not None else None,
        priority=item.priority,
        occurrences=uploads,
    )


def _queue_order(
    query: Select[ReviewItem, str, str, int],
) -> Select[ReviewItem, str, str, int]:
    """Most urgent first (priority), then the longest waiting."""
    return query.order_by(ReviewItem.priority.desc(), ReviewItem.created_at, ReviewItem.id)


def list_review_items(db: Database, client: str, status: str, limit: int) -> list[ReviewItemView]:
    """The client's items in ``status``, most urgent first, then oldest first; at most
    ``limit``."""
    query = _queue_order(
        _items().where(ReviewItem.client == client, ReviewItem.status == status)
    ).limit(limit)
    with db.read_session() as session:
        return [_view(*row) for row in session.execute(query)]


def list_queue(
    db: Database, shown: QueueFilter | None = None, *, limit: int = 50, offset: int = 0
) -> list[ReviewItemView]:
    """Every client's items that ``shown`` selects (open ones unless told), most urgent
    first, then oldest first: at most ``limit``, after skipping ``offset`` (for staff,
    who review all clients)."""
    chosen = shown or QueueFilter()
    query = _items().where(ReviewItem.status == chosen.status)
    if chosen.kind is not None:
        query = query.where(ReviewItem.kind == chosen.kind)
    if chosen.bank is not None:
        matched = (
            select(ReviewItemBank.review_item_id)
            .join(Bank, Bank.id == ReviewItemBank.bank_id)
            .where(Bank.name == chosen.bank)
        )
        query = query.where(ReviewItem.id.in_(matched))
    query = _queue_order(query).limit(limit).offset(offset)
    with db.read_session() as session:
        return [_view(*row) for row in session.execute(query)]


def item_banks(db: Database) -> list[str]:
    """The names of the banks that put some item in the queue (for the bank filter)."""
    query = (
        select(Bank.name)
        .join(ReviewItemBank, ReviewItemBank.bank_id == Bank.id)
        .distinct()
        .order_by(Bank.name)
    )
    with db.read_session() as session:
        return list(session.scalars(query))


def get_item(db: Database, item_id: str) -> ReviewItemView:
    """The item ``item_id``, whichever client it belongs to (for staff); NotFound if
    there is none."""
    with db.read_session() as session:
        found = session.execute(_items().where(ReviewItem.id == item_id)).one_or_none()
        if found is None:
            raise NotFound(f"no review item {item_id!r}")
        return _view(*found)


def item_uploads(db: Database, item_id: str, limit: int = 100) -> list[UploadView]:
    """The uploads that joined the item, newest first, at most ``limit``."""
    query = (
        select(Screening.id, Screening.created_at, Screening.uploader_id, Screening.content_id)
        .join(ReviewItemScreening, ReviewItemScreening.screening_id == Screening.id)
        .where(ReviewItemScreening.review_item_id == item_id)
        .order_by(Screening.created_at.desc(), Screening.id)
        .limit(limit)
    )
    with db.read_session() as session:
        return [UploadView(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class MessageView:
    """A message of a flagged conversation, as a moderator reads it: ``position`` counts
    from 0; ``text`` is None once the retention period erased it."""

    position: int
    sender_id: str
    recipient_ids: list[str]
    sender_age_band: str | None
    sent_at: datetime
    text: str | None
    cues: list[str]
    risk: float


def flagged_messages(db: Database, item_id: str, limit: int = 50) -> list[MessageView]:
    """The messages of the item's conversation that carried a cue, and the one at which
    the risk first crossed the threshold, in order; at most ``limit``."""
    with db.read_session() as session:
        item = session.get(ReviewItem, item_id)
        if item is None or item.conversation_id is None:
            return []
        first = session.scalar(
            select(Conversation.first_flag_index).where(Conversation.id == item.conversation_id)
        )
        rows = session.scalars(
            select(ConversationMessage)
            .where(ConversationMessage.conversation_id == item.conversation_id)
            .order_by(ConversationMessage.position)
            .limit(_MAX_SCANNED)
        )
        return [
            MessageView(
                m.position,
                m.sender_id,
                list(m.recipient_ids),
                m.sender_age_band,
                m.sent_at,
                m.text,
                list(m.cues),
                m.risk,
            )
            for m in rows
            if m.cues or m.position == first
        ][:limit]


def participants(db: Database, item_id: str) -> list[tuple[str, str | None]]:
    """Who wrote in the item's conversation, with the age band the platform gave them
    (None if it gave none), by id."""
    with db.read_session() as session:
        conversation_id = session.scalar(
            select(ReviewItem.conversation_id).where(ReviewItem.id == item_id)
        )
        if conversation_id is None:
            return []
        found = session.execute(
            select(ConversationMessage.sender_id, ConversationMessage.sender_age_band)
            .where(ConversationMessage.conversation_id == conversation_id)
            .distinct()
            .order_by(ConversationMessage.sender_id)
        )
        return [(sender, band) for sender, band in found]
