"""Conversations over the API: one message at a time, state kept in the database.

Each message loads its conversation's state (hashed counts of the last window of
messages, never text), updates it in constant time, and writes it back in the same
transaction, with the row locked on PostgreSQL so that two workers cannot interleave
two messages of one conversation. When a message makes the conversation cross the
threshold, or gives an age cue in a conversation with an adult (``age_cues.py``), a
review item is opened, or the conversation's undecided one (opened by the other) is
raised to the priority of that source, and an audit event is written with it. A
transcript's messages are scored the same way, in one transaction. Message text is kept
for ``retention`` and then erased on a schedule (``retention.py``); a retention of zero
keeps no text at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeguard.conversations.explain import answer
from safeguard.conversations.model import RiskModel
from safeguard.conversations.stream import ConversationState
from safeguard.errors import NotFound
from safeguard.events import ConversationAgeCue, ConversationFlagged, Event, record
from safeguard.moderation.decisions import ESCALATED, OPEN
from safeguard.moderation.priority import Priority
from safeguard.store.db import Database, changed_rows
from safeguard.store.models import (
    Account,
    Conversation,
    ConversationMessage,
    ReviewItem,
)

CONVERSATION = "conversation"  # the kind of the review items this service opens


@dataclass(frozen=True)
class IncomingMessage:
    sender_id: str
    text: str
    sent_at: datetime
    sender_age_band: str | None = None
    recipient_ids: tuple[str, ...] = ()


class ConversationService:
    """Scores messages for API clients and keeps the review queue and audit log."""

    def __init__(self, db: Database, model: RiskModel, retention: timedelta) -> None:
        self.db = db
        self.model = model
        self.retention = retention

    def add_message(
        self, client: str, conversation_id: str, message: IncomingMessage
    ) -> dict[str, object]:
        """Score the next message of a conversation; its state after the message."""
        return self.add_messages(client, conversation_id, [message])

    def add_messages(
        self, client: str, conversation_id: str, messages: Sequence[IncomingMessage]
    ) -> dict[str, object]:
        """Score the next messages of a conversation in order, in one transaction (a
        transcript); its state after the last of them.

        A conversation created by two requests at once, or two messages given the same
        position, conflict on a unique key: the loser retries once, on fresh state.
        """
        try:
            return self._add_messages(client, conversation_id, messages)
        except IntegrityError:
            return self._add_messages(client, conversation_id, messages)

    def _add_messages(
        self, client: str, conversation_id: str, messages: Sequence[IncomingMessage]
    ) -> dict[str, object]:
        with self.db.session() as session:
            conversation = self._locked(session, client, conversation_id)
            state = ConversationState.restore(self.model, conversation.state)
            first = conversation.message_count
            crossed = alerted = False
            registered = _registered_bands(session, client, {m.sender_id for m in messages})
            for position, given in enumerate(messages, start=first):
                band = given.sender_age_band or registered.get(given.sender_id)
                message = replace(given, sender_age_band=band)
                assessment = state.add(message.text, message.sender_age_band)
                crossed |= assessment.crossed_now
                alerted |= assessment.age_alert_now
                session.add(
                    ConversationMessage(
                        conversation_id=conversation.id,
                        position=position,
                        sender_id=message.sender_id,
                        recipient_ids=list(message.recipient_ids),
                        sender_age_band=message.sender_age_band,
                        sent_at=message.sent_at,
                        text=message.text if self.retention > timedelta(0) else None,
                        cues=assessment.message_cues,
                        risk=assessment.risk,
                    )
                )
            conversation.state = state.snapshot()
            conversation.message_count = state.count
            conversation.risk = state.risk()
            conversation.first_flag_index = state.first_flag_index
            review_id = None
            if crossed:
                review_id = self._flag(session, conversation, state)
            if alerted:
                review_id = self._alert(session, conversation, state)
            fresh = [m.text for m in messages]
            view = answer(
                conversation_id, state, lambda: _window_texts(session, conversation, state, fresh)
            )
            return view | {"message_index": state.count - 1, "review_item_id": review_id}

    def get(self, client: str, conversation_id: str) -> dict[str, object]:
        """The conversation's current risk, flag and cues."""
        with self.db.read_session() as session:
            conversation = session.scalar(_by_external_id(client, conversation_id))
            if conversation is None:
                raise NotFound(f"no conversation {conversation_id!r}")
            state = ConversationState.restore(self.model, conversation.state)
            return answer(
                conversation_id, state, lambda: _window_texts(session, conversation, state, [])
            )

    def _locked(self, session: Session, client: str, conversation_id: str) -> Conversation:
        query = _by_external_id(client, conversation_id).with_for_update()
        conversation = session.scalar(query)
        if conversation is not None:
            return conversation
        fresh = Conversation(
            client=client,
            external_id=conversation_id,
            state=ConversationState(self.model).snapshot(),
            message_count=0,
            risk=0.0,
        )
        session.add(fresh)
        session.flush()
        return fresh

    def _flag(self, session: Session, conversation: Conversation, state: ConversationState) -> str:
        """The conversation crossed the threshold: open or raise its review item."""
        flagged = ConversationFlagged(
            conversation.client,
            conversation.external_id,
            risk=round(state.risk(), 4),
            threshold=self.model.threshold,
            first_flag_index=state.first_flag_index,
            cues=_cues(state),
        )
        return _follow_up(session, conversation, flagged, Priority.FLAGGED_CONVERSATION)

    def _alert(self, session: Session, conversation: Conversation, state: ConversationState) -> str:
        """An age cue in a conversation with an adult: open or raise its review item."""
        cued = ConversationAgeCue(
            conversation.client,
            conversation.external_id,
            risk=round(state.risk(), 4),
            threshold=self.model.threshold,
            age_alert_index=state.age_alert_index,
            cues=_cues(state),
        )
        return _follow_up(session, conversation, cued, Priority.AGE_CUE_WITH_ADULT)


def _follow_up(session: Session, conversation: Conversation, event: Event, priority: int) -> str:
    """Open a review item for the conversation, or join its undecided one (opened by a
    flag or an age cue: one item shows both), raising its priority to ``priority`` and
    adding the event's details to its reason; record the event. The item's id."""
    item = session.scalar(
        select(ReviewItem)
        .where(
            ReviewItem.kind == CONVERSATION,
            ReviewItem.conversation_id == conversation.id,
            ReviewItem.status.in_([OPEN, ESCALATED]),
        )
        .order_by(ReviewItem.created_at, ReviewItem.id)
        .limit(1)
    )
    if item is None:
        item = ReviewItem(
            kind=CONVERSATION,
            client=conversation.client,
            conversation_id=conversation.id,
            reason=event.details(),
            priority=int(priority),
        )
        session.add(item)
    else:
        raised = update(ReviewItem).where(ReviewItem.id == item.id, ReviewItem.priority < priority)
        changed_rows(session, raised.values(priority=int(priority)))
        item.reason = item.reason | event.details()
    record(session, event)
    session.flush()
    return item.id


def _registered_bands(session: Session, client: str, sender_ids: set[str]) -> dict[str, str]:
    """The bands of the senders the client registered as accounts (``accounts/``), for
    messages that name none: known bands only, as last derived."""
    rows = session.execute(
        select(Account.user_id, Account.band).where(
            Account.client == client,
            Account.user_id.in_(sender_ids),
            Account.band != "unknown",
        )
    )
    return {user_id: band for user_id, band in rows}


def _cues(state: ConversationState) -> list[dict[str, object]]:
    return [hit.as_dict() for hit in state.cues.values()]


def _window_texts(
    session: Session, conversation: Conversation, state: ConversationState, fresh: list[str]
) -> list[str]:
    """The text of the current window's messages still held: the stored ones before the
    ``fresh`` messages of this request, then those (held in memory, whatever the
    retention)."""
    start = state.count - len(state.window)
    stored = session.scalars(
        select(ConversationMessage.text)
        .where(
            ConversationMessage.conversation_id == conversation.id,
            ConversationMessage.position >= start,
            ConversationMessage.position < state.count - len(fresh),
            ConversationMessage.text.is_not(None),
        )
        .order_by(ConversationMessage.position)
    )
    return [text for text in stored if text is not None] + fresh[-len(state.window) :]


def _by_external_id(client: str, conversation_id: str) -> Select[Conversation]:
    return select(Conversation).where(
        Conversation.client == client, Conversation.external_id == conversation_id
    )
