"""Response bodies of the screening, conversation, review and health operations.

Bank and entry bodies are with their router (``routers/banks.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from safeguard.screening.policy import Decision

IsoDateTime = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A time written as Python's ``isoformat`` does (``+00:00``, not ``Z``)."""


class Out(BaseModel):
    """A response body: read from a plain value's attributes or from a dict."""

    model_config = ConfigDict(from_attributes=True)


class MatchOut(Out):
    """A bank entry that matched, and what it does to the decision."""

    bank: str
    entry_id: int
    content_item_id: int | None = Field(
        default=None,
        description="The bank's content item the entry belongs to (None in records made "
        "before content items existed).",
    )
    signal_type: str
    distance: int = Field(description="Hamming distance for PDQ; 0 for exact digests.")
    effect: Literal["block", "review", "safelist"]
    view: str | None = Field(
        description="The view of the upload that matched (e.g. 'original'); None for lookups."
    )


class SignalsOut(Out):
    """The signal values decided on, by signal type (None where not computed or not
    given), with ``<type>_quality`` for types whose values have a quality. Signal types
    added by plug-ins appear as further properties."""

    model_config = ConfigDict(from_attributes=True, extra="allow")

    md5: str | None = None
    sha256: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None


class ScreeningOut(Out):
    """The decision on an upload or a lookup."""

    screening_id: str
    decision: Decision
    matches: list[MatchOut]
    signals: SignalsOut


class ScreeningRecordOut(Out):
    """The audit record of one screening."""

    screening_id: str
    created_at: IsoDateTime
    client: str
    source: str = Field(description="'upload' or 'lookup' (or 'scan' from the CLI).")
    content_id: str | None
    uploader_id: str | None
    signals: SignalsOut
    decision: Decision
    matches: list[MatchOut]


class ConversationCueOut(Out):
    """A grooming-risk cue and the 0-based indexes of the messages that raised it."""

    name: str
    messages: list[int]


class ConversationOut(Out):
    """A conversation's current risk, flag and cues."""

    conversation_id: str
    messages: int = Field(description="How many messages were scored.")
    risk: float
    threshold: float
    flagged: bool
    first_flag_index: int | None
    cues: list[ConversationCueOut]


class MessageScoreOut(ConversationOut):
    """The conversation after one more message."""

    message_index: int
    review_item_id: str | None = Field(
        description="The review item opened by this message, if it flagged the conversation."
    )


class ReviewItemOut(Out):
    """A flagged conversation or a screening decided ``review``."""

    id: str
    kind: Literal["conversation", "screening"]
    conversation_id: str | None
    screening_id: str | None
    reason: dict[str, Any]
    status: str
    created_at: IsoDateTime


class ReviewItemList(Out):
    items: list[ReviewItemOut]


class HealthOut(Out):
    status: Literal["ok"]
    version: str
    index: dict[str, int] = Field(description="Enabled entries in the in-memory index, by type.")
