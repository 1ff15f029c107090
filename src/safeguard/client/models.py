"""The answers of the API as typed, immutable models.

Fields the service adds in a later version are kept (``model_extra``), never refused, so
an older client reads a newer service. Times are timezone-aware ``datetime`` values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Decision = Literal["block", "review", "allow"]
AgeBand = Literal["under-13", "13-15", "16-17", "18+", "unknown"]


class Model(BaseModel):
    """An answer: immutable, keeping fields this client does not know."""

    model_config = ConfigDict(extra="allow", frozen=True)


class VideoMatch(Model):
    """How much of a video matched a banked one, and where (vPDQ matches)."""

    query_match_percent: float
    compared_match_percent: float
    clip_seconds: float
    matched_ranges: list[tuple[float, float]]
    query_ranges: list[tuple[float, float]]


class Match(Model):
    """A bank entry that matched, and what it does to the decision."""

    bank: str
    entry_id: int
    content_item_id: int | None = None
    signal_type: str
    distance: int
    effect: Literal["block", "review", "safelist"]
    view: str | None = None
    video: VideoMatch | None = None


class VpdqFrame(Model):
    frame: int
    quality: int
    pdq: str
    timestamp: float


class Signals(Model):
    """The signal values decided on, by type; plug-in types are further fields."""

    md5: str | None = None
    video_md5: str | None = None
    sha256: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    vpdq: list[VpdqFrame] | None = None


class Screening(Model):
    """The decision on an upload or a lookup."""

    screening_id: str
    decision: Decision
    matches: list[Match]
    signals: Signals


class Job(Model):
    """A screening of a long video, done in the background: poll ``get_job``."""

    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    attempts: int
    created_at: datetime
    finished_at: datetime | None
    result: Screening | None
    error: dict[str, Any] | None


class ScreeningRecord(Model):
    """The audit record of one of the caller's screenings."""

    screening_id: str
    created_at: datetime
    client: str
    source: str
    content_id: str | None
    uploader_id: str | None
    signals: Signals
    decision: Decision
    matches: list[Match]


class Bank(Model):
    """A hash list (or a safelist) and its size."""

    id: str
    name: str
    action: Literal["block", "review"]
    kind: Literal["list", "safelist"]
    thresholds: dict[str, int]
    created_at: datetime
    entries: int
    enabled_entries: int
    pdq_threshold: int | None = None


class Entry(Model):
    """A signal value in a bank."""

    id: int
    bank: str
    content_item_id: int
    signal_type: str
    value: str
    external_id: str | None
    labels: list[str]
    source: str | None
    enabled: bool
    created_at: datetime


class EntryPage(Model):
    """A page of a bank's entries; ``next_after`` asks for the next one (None: the last)."""

    entries: list[Entry]
    next_after: int | None


class Item(Model):
    """A known item of a bank and its entries."""

    id: int
    bank: str
    external_id: str | None
    note: str | None
    labels: list[str]
    source: str | None
    enabled: bool
    created_at: datetime
    entries: list[Entry]


class ImportResult(Model):
    added: int
    already_present: int


class ReviewItem(Model):
    """Something waiting for a person: a screening, a conversation, a report, an appeal
    or an account."""

    id: str
    kind: Literal["conversation", "screening", "report", "appeal", "account"]
    conversation_id: str | None
    screening_id: str | None
    reason: dict[str, Any]
    status: str
    created_at: datetime
    priority: int
    occurrences: int


class ConversationCue(Model):
    name: str
    description: str = ""
    messages: list[int]


class WeighedPhrase(Model):
    text: str
    log_odds: float


class Conversation(Model):
    """A conversation's current grooming risk, flag and cues."""

    conversation_id: str
    messages: int
    risk: float
    threshold: float
    flagged: bool
    first_flag_index: int | None
    age_alert_index: int | None = None
    cues: list[ConversationCue]
    weighed_most: list[WeighedPhrase] = Field(default_factory=list)
    model_languages: list[str] = Field(default_factory=list)
    cue_languages: list[str] = Field(default_factory=list)


class MessageScore(Conversation):
    """The conversation after a message or a transcript, and the review item and list
    matches the request raised."""

    message_index: int
    review_item_id: str | None
    matches: list[Match] = Field(default_factory=list)
    screening_ids: list[str] = Field(default_factory=list)


class ReportTarget(Model):
    """What a user report is about."""

    kind: Literal["content", "screening", "hash", "user", "conversation"]
    value: str
    signal_type: str | None = None


class Report(Model):
    """A user report and where it stands."""

    id: str
    status: Literal["received", "in_review", "escalated", "actioned", "no_violation"]
    category: Literal["csam", "grooming", "underage_user", "other"]
    reporter_id: str
    target: ReportTarget
    review_item_id: str
    decision_id: int | None
    created_at: datetime


class Appeal(Model):
    """An appeal against a decision and where it stands."""

    id: str
    status: Literal["pending", "in_review", "granted", "denied"]
    decision_id: int
    appellant_id: str
    review_item_id: str
    created_at: datetime
    decided_at: datetime | None


class Webhook(Model):
    """A registered webhook endpoint."""

    id: str
    url: str
    events: list[str]
    created_by: str
    created_at: datetime
    disabled_at: datetime | None


class WebhookCreated(Webhook):
    """A new endpoint with the secret its deliveries are signed with (shown this once)."""

    secret: str


class WebhookDelivery(Model):
    event_id: int
    kind: str
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None


class Help(Model):
    name: str
    url: str
    description: str


class Prompt(Model):
    """A supportive prompt for a child: the risk in plain words, and where to get help."""

    topic: str
    locale: str
    title: str
    text: str
    help: list[Help]


class Evidence(Model):
    source: str
    band: AgeBand
    counted: bool
    why: str
    method: str | None
    provider: str | None
    confidence: float | None
    at: str | None


class Setting(Model):
    name: str
    enabled: bool
    may_turn_on: bool
    changed_by: str | None
    changed_at: datetime | None


class Account(Model):
    """A user's age band, the evidence behind it and their child-safety settings."""

    user_id: str
    band: AgeBand
    assured: bool
    treated_as_child: bool
    evidence: list[Evidence]
    parent_user_id: str | None
    settings: list[Setting]


class SettingChange(Model):
    account: Account
    prompt: Prompt | None


class PolicyAnswer(Model):
    """Whether an actor may do something to a subject, and why."""

    question: str
    actor_id: str
    subject_id: str
    allowed: bool
    reason: str
    subject_band: AgeBand
    setting: str | None
    prompt: Prompt | None


class Provider(Model):
    """An age-assurance provider, with its callback signing secret (shown this once)."""

    id: str
    name: str
    created_at: datetime
    secret: str
    callback_path: str


class ImageCheck(Model):
    """Whether a child's app should blur an image, and the prompt to show if so."""

    action: Literal["blur", "show"]
    scores: dict[str, float]
    classifier: str
    prompt: Prompt | None = None


class TransparencyReport(Model):
    """A transparency report's sections (docs/transparency.md)."""

    period: dict[str, str]
    query: dict[str, Any]
    screenings: dict[str, Any]
    review: dict[str, Any]
    user_reports: dict[str, Any]
    appeals: dict[str, Any]
    reports_to_authorities: dict[str, Any]
    accounts: dict[str, Any]
    banks: dict[str, Any]
    volumes: dict[str, Any]
    child_safety: dict[str, Any]
    suppressed: list[str]
    not_available: dict[str, str]


class Health(Model):
    status: Literal["ok"]
    version: str
    index: dict[str, int]


class Ready(Model):
    status: Literal["ready"]
    change_seq: int | None
    index: dict[str, int]


class PictrsValidation(Model):
    """pict-rs may keep the upload."""

    screening_id: str
    decision: str


class MastodonDelivery(Model):
    """What was done with a Mastodon admin webhook delivery."""

    event: str
    status_id: str | None
    screening_ids: list[str]
    decision: str | None
    skipped: int
    report_id: str | None
    already_reported: bool
