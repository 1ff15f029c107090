"""Response bodies of the screening, conversation, review and health operations.

Bank and entry bodies are with their router (``routers/banks.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from safeguard.api.validation import Text
from safeguard.moderation.appeals import AppealStatus
from safeguard.moderation.reports import MAX_HASH, Category, ReportStatus, TargetKind
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


class VideoMatchOut(Out):
    """How much of a video matched a banked one, and where (vPDQ matches only)."""

    query_match_percent: float = Field(
        description="Share of the upload's usable frames that match a frame of the banked video."
    )
    compared_match_percent: float = Field(
        description="Share of the banked video's usable frames that match a frame of the upload."
    )
    clip_seconds: float = Field(
        description="The longest stretch of the upload matched in order, at one time offset."
    )
    matched_ranges: list[tuple[float, float]] = Field(
        description="Where in the banked video, as [start, end] seconds."
    )
    query_ranges: list[tuple[float, float]] = Field(
        description="Where in the upload, as [start, end] seconds."
    )


class VpdqFrameOut(Out):
    """One hashed frame of a video."""

    frame: int
    quality: int
    pdq: str
    timestamp: float


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
    video: VideoMatchOut | None = Field(
        default=None, description="For a vPDQ match: how much of the video matched, and where."
    )


class SignalsOut(Out):
    """The signal values decided on, by signal type (None where not computed or not
    given), with ``<type>_quality`` for types whose values have a quality. Signal types
    added by plug-ins appear as further properties."""

    model_config = ConfigDict(from_attributes=True, extra="allow")

    md5: str | None = None
    video_md5: str | None = None
    sha256: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    vpdq: list[VpdqFrameOut] | None = Field(
        default=None, description="A video's hashed frames (one a second by default)."
    )


class ScreeningOut(Out):
    """The decision on an upload or a lookup."""

    screening_id: str
    decision: Decision
    matches: list[MatchOut]
    signals: SignalsOut


class JobOut(Out):
    """A screening job: where it stands and, once done, its answer."""

    job_id: str = Field(validation_alias="id")
    status: Literal["queued", "running", "done", "failed"]
    progress: float = Field(description="How much of the upload is screened, 0 to 1.")
    attempts: int = Field(description="How many times a worker has taken the job up.")
    created_at: IsoDateTime
    finished_at: IsoDateTime | None
    result: ScreeningOut | None = Field(description="The decision, once done.")
    error: dict[str, Any] | None = Field(
        description="Once failed: the problem (type, title, status, detail)."
    )


class ScreeningRecordOut(Out):
    """The audit record of one screening."""

    screening_id: str
    created_at: IsoDateTime
    client: str
    source: str = Field(
        description="'upload', 'lookup' or 'message' (a conversation message that matched "
        "a URL or keyword list); 'scan' from the CLI; 'pict-rs', 'matrix' or 'mastodon' "
        "from the platform plug-ins."
    )
    content_id: str | None
    uploader_id: str | None
    signals: SignalsOut
    decision: Decision
    matches: list[MatchOut]


class ConversationCueOut(Out):
    """A grooming-risk or age cue and the 0-based indexes of the messages that raised it."""

    name: str
    description: str = Field(default="", description="What the cue means.")
    messages: list[int]


class WeighedPhraseOut(Out):
    """A word of the current window and how much it adds to the risk's log-odds."""

    text: str
    log_odds: float


class ConversationOut(Out):
    """A conversation's current risk, flag and cues."""

    conversation_id: str
    messages: int = Field(description="How many messages were scored.")
    risk: float
    threshold: float
    flagged: bool
    first_flag_index: int | None
    age_alert_index: int | None = Field(
        default=None,
        description="The message at which an age cue first met an adult participant.",
    )
    cues: list[ConversationCueOut]
    weighed_most: list[WeighedPhraseOut] = Field(
        default_factory=list,
        description="When the conversation is flagged and no cue of its text explains it: "
        "the words of the current window that weighed most, most first.",
    )
    model_languages: list[str] = Field(
        default_factory=list,
        description="The languages the risk model was trained on (ISO 639-1); text in "
        "others is scored without having been learnt.",
    )
    cue_languages: list[str] = Field(
        default_factory=list, description="The languages the cues' phrases are written in."
    )


class MessageScoreOut(ConversationOut):
    """The conversation after one more message, or after a transcript's messages."""

    message_index: int = Field(description="The index of the (last) message scored.")
    review_item_id: str | None = Field(
        description="The review item opened or raised by this request: a first flag, or an "
        "age cue in a conversation with an adult."
    )
    matches: list[MatchOut] = Field(
        default_factory=list,
        description="Entries of URL and keyword lists found in this request's messages "
        "(docs/url-and-keyword-lists.md); a block or review match opens a screening's "
        "review item.",
    )
    screening_ids: list[str] = Field(
        default_factory=list,
        description="The screenings recording those matches (a message without a match "
        "is not recorded).",
    )


class ReviewItemOut(Out):
    """A screening that blocked or asked for review, a flagged conversation, a user
    report, an appeal or an account under the minimum age, waiting for a person."""

    id: str
    kind: Literal["conversation", "screening", "report", "appeal", "account"]
    conversation_id: str | None
    screening_id: str | None
    reason: dict[str, Any]
    status: str
    created_at: IsoDateTime
    priority: int = Field(description="Higher is more urgent (docs/moderation.md).")
    occurrences: int = Field(description="Uploads of the same content that joined the item.")


class ReviewItemList(Out):
    items: list[ReviewItemOut]


class HealthOut(Out):
    status: Literal["ok"]
    version: str
    index: dict[str, int] = Field(description="Enabled entries in the in-memory index, by type.")


class ReadyOut(Out):
    status: Literal["ready"]
    change_seq: int | None = Field(
        description="The last change-log sequence the index has applied (None: no index, "
        "in a process without the api role)."
    )
    index: dict[str, int] = Field(description="Enabled entries in the in-memory index, by type.")


class ReportTarget(Out):
    """What a report is about (``POST /v1/reports`` takes the same shape)."""

    kind: TargetKind
    value: Text = Field(
        min_length=1,
        max_length=MAX_HASH,
        description="The platform's own id of the content, user or conversation, the id "
        "of one of the caller's screenings, or a hash value of ``signal_type``.",
    )
    signal_type: Text | None = Field(
        default=None, max_length=32, description="For a hash only: e.g. 'md5', 'pdq'."
    )


class ReportOut(Out):
    """A user report and where it stands."""

    id: str
    status: ReportStatus = Field(
        description="received, in_review (claimed), escalated, actioned (confirmed) or "
        "no_violation (a false positive, or a confirmation reversed on appeal)."
    )
    category: Category
    reporter_id: str
    target: ReportTarget
    review_item_id: str = Field(description="The review item the report joined.")
    decision_id: int | None = Field(
        description="The decision that closed the report's item (an appeal names it); "
        "None while the item is undecided."
    )
    created_at: IsoDateTime


class AppealOut(Out):
    """An appeal against a decision and where it stands."""

    id: str
    status: AppealStatus = Field(
        description="pending, in_review (claimed or escalated), granted (the decision "
        "is reversed) or denied (it stands)."
    )
    decision_id: int
    appellant_id: str
    review_item_id: str = Field(description="The review item the appeal is worked as.")
    created_at: IsoDateTime
    decided_at: IsoDateTime | None


class WebhookOut(Out):
    """A registered webhook endpoint (never its secret)."""

    id: str
    url: str
    events: list[str] = Field(description="The event kinds it gets, or ['*'] for all.")
    created_by: str
    created_at: IsoDateTime
    disabled_at: IsoDateTime | None = Field(description="None while it gets deliveries.")


class WebhookCreatedOut(WebhookOut):
    """A new endpoint, with the secret its deliveries are signed with: shown this once."""

    secret: str = Field(description="Verify each delivery's Safeguard-Signature with it.")


class WebhookDeliveryOut(Out):
    """One event for one endpoint and where its delivery stands."""

    event_id: int = Field(description="The event's id, also sent as Safeguard-Event-Id.")
    kind: str
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: IsoDateTime
    next_attempt_at: IsoDateTime | None = Field(description="When a pending one is tried next.")
    delivered_at: IsoDateTime | None
    last_status: int | None = Field(description="The HTTP status of the last answer, if any.")
    last_error: str | None = Field(description="Why the last attempt failed, if it did.")


class WebhookList(Out):
    items: list[WebhookOut]


class WebhookDeliveryList(Out):
    items: list[WebhookDeliveryOut]


class HelpOut(Out):
    """Where a child can get help."""

    name: str
    url: str
    description: str


class PromptOut(Out):
    """A supportive prompt: the risk in plain words, and help (docs/accounts.md)."""

    topic: str
    locale: str
    title: str
    text: str
    help: list[HelpOut]
