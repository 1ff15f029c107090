"""Conversations: score each message as it is sent, or a whole transcript at once; read a
conversation's state.

Every text, id and time goes through ``api.validation``, so values a database refuses
(NUL characters, times outside years 1-9999 in UTC) answer 422, never 500.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from safeguard.api.openapi import PROTECTED, problem_responses
from safeguard.api.schemas import ConversationOut, MatchOut, MessageScoreOut, ScreeningOut
from safeguard.api.state import AppState, ScreenClient, app_state
from safeguard.api.validation import Text, UtcDateTime
from safeguard.conversations.service import IncomingMessage
from safeguard.conversations.transcript import parse_transcript
from safeguard.screening.service import Requester
from safeguard.signals.keyword import MAX_TEXT_CHARS

router = APIRouter(tags=["conversations"], responses=problem_responses(*PROTECTED))

ConversationId = Annotated[Text, Path(min_length=1, max_length=256)]
ParticipantId = Annotated[Text, Field(min_length=1, max_length=256)]
AgeBand = Literal["under-13", "13-15", "16-17", "18+"]
MAX_MESSAGE_CHARS = 10_000
MAX_TRANSCRIPT_CHARS = 1_000_000


class MessageIn(BaseModel):
    sender_id: ParticipantId
    text: Annotated[Text, Field(max_length=MAX_MESSAGE_CHARS)]
    sent_at: UtcDateTime
    sender_age_band: AgeBand | None = None
    recipient_ids: list[ParticipantId] = Field(default_factory=list, max_length=100)


class TranscriptIn(BaseModel):
    text: Annotated[
        Text,
        Field(
            min_length=1,
            max_length=MAX_TRANSCRIPT_CHARS,
            description="One message per line, 'Name: text'; a line without a name "
            "continues the message before it.",
        ),
    ]
    sent_at: UtcDateTime = Field(description="When the transcript was made or reported.")
    sender_age_bands: dict[ParticipantId, AgeBand] = Field(
        default_factory=dict, max_length=100, description="Speakers' age bands, by name."
    )


@router.post("/v1/conversations/{conversation_id}/messages", responses=problem_responses(413))
async def add_message(
    conversation_id: ConversationId,
    body: MessageIn,
    client: ScreenClient,
    state: Annotated[AppState, Depends(app_state)],
) -> MessageScoreOut:
    """Score the conversation's next message: its risk, flag and cues after it."""
    message = IncomingMessage(
        body.sender_id, body.text, body.sent_at, body.sender_age_band, tuple(body.recipient_ids)
    )
    listed = await run_in_threadpool(_screen_texts, state, client, conversation_id, [message])
    scored = await run_in_threadpool(
        state.conversations.add_message, client, conversation_id, message
    )
    return MessageScoreOut.model_validate(scored | listed)


@router.post(
    "/v1/conversations/{conversation_id}/transcript", responses=problem_responses(400, 413)
)
def add_transcript(
    conversation_id: ConversationId,
    body: TranscriptIn,
    client: ScreenClient,
    state: Annotated[AppState, Depends(app_state)],
) -> MessageScoreOut:
    """Score a whole conversation at once (a user's report, an export): its messages are
    added in order, exactly as if each had been sent to the messages endpoint."""
    messages = [
        IncomingMessage(m.speaker, m.text, body.sent_at, body.sender_age_bands.get(m.speaker))
        for m in parse_transcript(body.text)
    ]
    listed = _screen_texts(state, client, conversation_id, messages)
    scored = state.conversations.add_messages(client, conversation_id, messages)
    return MessageScoreOut.model_validate(scored | listed)


@router.get("/v1/conversations/{conversation_id}", responses=problem_responses(404))
def get_conversation(
    conversation_id: ConversationId,
    client: ScreenClient,
    state: Annotated[AppState, Depends(app_state)],
) -> ConversationOut:
    """A conversation's current risk, flag and cues."""
    return ConversationOut.model_validate(state.conversations.get(client, conversation_id))


def _screen_texts(
    state: AppState, client: str, conversation_id: str, messages: list[IncomingMessage]
) -> dict[str, object]:
    """The URL and keyword list matches of the messages' texts (the first
    ``MAX_TEXT_CHARS`` of each), each message with a match recorded as a screening of its
    own (never its text), which opens a review item if it blocks or asks for review."""
    matches: list[MatchOut] = []
    screening_ids: list[str] = []
    for message in messages:
        requester = Requester(client, "message", conversation_id, message.sender_id)
        found = state.screener.screen_text(message.text[:MAX_TEXT_CHARS], requester)
        if found is not None:
            screening_ids.append(found.screening_id)
            matches += ScreeningOut.model_validate(found.as_dict()).matches
    return {"matches": matches, "screening_ids": screening_ids}
