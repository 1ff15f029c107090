"""Conversations over the API: one message at a time, state kept in the database.

Each message loads its conversation's state (hashed counts of the last window of
messages, never text), updates it in constant time, and writes it back in the same
transaction, with the row locked on PostgreSQL so that two workers cannot interleave
two messages of one conversation. When a message makes the conversation cross the
threshold, a review item and an audit event are written with it. Message text is kept
for ``retention`` and then erased on a schedule (``retention.py``); a retention of zero
keeps no text at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeguard.conversations.model import RiskModel
from safeguard.conversations.stream import ConversationState
from safeguard.errors import NotFound
from safeguard.events import ConversationFlagged, record
from safeguard.moderation.priority import Priority
from safeguard.store.db import Database
from safeguard.store.models import (
    Conversation,
    ConversationMessage,
    ReviewItem,
)


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
        """Score the next message of a conversation; its state after the message.

        A conversation created by two requests at once, or two messages given the same
        position, conflict on a unique key: the loser retries once, on fresh state.
        """
        try:
            return self._add_message(client, conversation_id, message)
        except IntegrityError:
            return self._add_message(client, conversation_id, message)

    def _add_message(
        self, client: str, conversation_id: str, message: IncomingMessage
    ) -> dict[str, object]:
        with self.db.session() as session:
            conversation = self._locked(session, client, conversation_id)
            state = ConversationState.restore(self.model, conversation.state)
            assessment = state.add(message.text, message.sender_age_band)
            position = conversation.message_count
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
            conversation.message_count = position + 1
            conversation.risk = assessment.risk
            conversation.first_flag_index = assessment.first_flag_index
            review_id = None
            if assessment.crossed_now:
                review_id = self._flag(session, client, conversation, assessment.risk, state)
            return _view(conversation_id, conversation, state, self.model) | {
                "message_index": position,
                "review_item_id": review_id,
            }

    def get(self, client: str, conversation_id: str) -> dict[str, object]:
        """The conversation's current risk, flag and cues."""
        with self.db.read_session() as session:
            conversation = session.scalar(_by_external_id(client, conversation_id))
            if conversation is None:
                raise NotFound(f"no conversation {conversation_id!r}")
            state = ConversationState.restore(self.model, conversation.state)
            return _view(conversation_id, conversation, state, self.model)

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

    def _flag(
        self,
        session: Session,
        client: str,
        conversation: Conversation,
        risk: float,
        state: ConversationState,
    ) -> str:
        flagged = ConversationFlagged(
            client,
            conversation.external_id,
            risk=round(risk, 4),
            threshold=self.model.threshold,
            first_flag_index=state.first_flag_index,
            cues=[hit.as_dict() for hit in state.cues.values()],
        )
        item = ReviewItem(
            kind="conversation",
            client=client,
            conversation_id=conversation.id,
            reason=flagged.details(),
            priority=int(Priority.FLAGGED_CONVERSATION),
        )
        session.add(item)
        record(session, flagged)
        session.flush()
        return item.id


def _by_external_id(client: str, conversation_id: str) -> Select[Conversation]:
    return select(Conversation).where(
        Conversation.client == client, Conversation.external_id == conversation_id
    )


def _view(
    conversation_id: str, conversation: Conversation, state: ConversationState, model: RiskModel
) -> dict[str, object]:
    return {
        "conversation_id": conversation_id,
        "messages": conversation.message_count,
        "risk": round(conversation.risk, 4),
        "threshold": model.threshold,
        "flagged": conversation.first_flag_index is not None,
        "first_flag_index": conversation.first_flag_index,
        "cues": [hit.as_dict() for hit in state.cues.values()],
    }
