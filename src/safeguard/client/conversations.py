"""Conversation safety (grooming risk, message by message or a whole transcript) and
communication safety (blurring images sent to or by a child)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

from safeguard.client.calls import Call, Upload, form, model, operation, present
from safeguard.client.models import Conversation, ImageCheck, MessageScore

SenderBand = Literal["under-13", "13-15", "16-17", "18+"]


class ConversationEndpoints:
    @operation("POST", "/v1/conversations/{conversation_id}/messages")
    def add_message(
        self,
        conversation_id: str,
        sender_id: str,
        text: str,
        sent_at: datetime,
        *,
        sender_age_band: SenderBand | None = None,
        recipient_ids: Sequence[str] = (),
    ) -> Call[MessageScore]:
        """Score the conversation's next message: its risk, flag and cues after it.
        Never retried once sent (the message would count twice)."""
        body = present(
            sender_id=sender_id,
            text=text,
            sent_at=sent_at,
            sender_age_band=sender_age_band,
            recipient_ids=list(recipient_ids),
        )
        return Call(model(MessageScore), path={"conversation_id": conversation_id}, json=body)

    @operation("POST", "/v1/conversations/{conversation_id}/transcript")
    def add_transcript(
        self,
        conversation_id: str,
        text: str,
        sent_at: datetime,
        *,
        sender_age_bands: Mapping[str, SenderBand] | None = None,
    ) -> Call[MessageScore]:
        """Score a whole transcript (one ``Name: text`` message a line) at once."""
        body = present(text=text, sent_at=sent_at, sender_age_bands=dict(sender_age_bands or {}))
        return Call(model(MessageScore), path={"conversation_id": conversation_id}, json=body)

    @operation("GET", "/v1/conversations/{conversation_id}")
    def get_conversation(self, conversation_id: str) -> Call[Conversation]:
        """A conversation's current risk, flag and cues."""
        return Call(model(Conversation), path={"conversation_id": conversation_id})

    # Nothing is stored: checking the same image twice gives the same answer.
    @operation("POST", "/v1/messages/images", idempotent=True)
    def check_image(
        self,
        content: Upload,
        *,
        direction: Literal["received", "sent"] = "received",
        locale: str | None = None,
    ) -> Call[ImageCheck]:
        """Blur or show an image sent to (``received``) or by (``sent``) a child's
        account; ``blur`` comes with a prompt in the child's ``locale``."""
        parts = form(content, "image", direction=direction, locale=locale)
        return Call(model(ImageCheck), files=parts)
