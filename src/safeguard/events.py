"""The event log: typed events of what changed, written in the transaction of the change.

A change and its event commit together or not at all, so the log is complete. Audit reads
it today; webhooks, reports to authorities and transparency metrics are to read the same
log. Events hold ids, hashes, decisions and scores, never content or message text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguard.store.models import AuditEvent


@dataclass(frozen=True)
class Event:
    """Something that changed: who caused it (``client``) and what it is about."""

    kind: ClassVar[str]
    client: str
    subject: str

    def details(self) -> dict[str, Any]:
        """The event's own fields, as JSON values."""
        own = {f.name for f in fields(Event)}
        return {k: v for k, v in asdict(self).items() if k not in own}


@dataclass(frozen=True)
class ScreeningDecided(Event):
    """A screening's decision (``subject``: the screening id)."""

    kind: ClassVar[str] = "screening.decided"
    source: str
    decision: str
    matches: list[dict[str, object]]


@dataclass(frozen=True)
class ConversationFlagged(Event):
    """A conversation crossed its threshold (``subject``: the client's conversation id)."""

    kind: ClassVar[str] = "conversation.flagged"
    risk: float
    threshold: float
    first_flag_index: int | None
    cues: list[dict[str, object]]


@dataclass(frozen=True)
class ConversationAgeCue(Event):
    """A participant's age cue in a conversation with an adult: a child's age disclosed,
    or an adult age claimed by a child (``subject``: the client's conversation id)."""

    kind: ClassVar[str] = "conversation.age_cue"
    risk: float
    threshold: float
    age_alert_index: int | None
    cues: list[dict[str, object]]


@dataclass(frozen=True)
class BankCreated(Event):
    """A bank was created (``subject``: its name)."""

    kind: ClassVar[str] = "bank.created"
    action: str
    bank_kind: str
    thresholds: dict[str, int]


@dataclass(frozen=True)
class BankDeleted(Event):
    """A bank stopped matching and is being purged (``subject``: its name)."""

    kind: ClassVar[str] = "bank.deleted"
    bank_id: str


@dataclass(frozen=True)
class BankEntriesAdded(Event):
    """Entries were added to a bank in one transaction (``subject``: the bank's name);
    their ids run from ``first_entry_id`` to ``last_entry_id``."""

    kind: ClassVar[str] = "bank.entries_added"
    count: int
    first_entry_id: int
    last_entry_id: int


@dataclass(frozen=True)
class BankEntryEnabled(Event):
    """An entry was enabled again (``subject``: the bank's name)."""

    kind: ClassVar[str] = "bank.entry_enabled"
    entry_id: int


@dataclass(frozen=True)
class BankEntryDisabled(Event):
    """An entry was disabled: it stays, but no longer matches (``subject``: the bank)."""

    kind: ClassVar[str] = "bank.entry_disabled"
    entry_id: int


@dataclass(frozen=True)
class BankEntryDeleted(Event):
    """An entry was deleted (``subject``: the bank's name)."""

    kind: ClassVar[str] = "bank.entry_deleted"
    entry_id: int


@dataclass(frozen=True)
class ContentItemEnabled(Event):
    """A content item (all its entries) takes part in matching again (``subject``: the
    bank's name)."""

    kind: ClassVar[str] = "bank.item_enabled"
    content_item_id: int


@dataclass(frozen=True)
class ContentItemDisabled(Event):
    """A content item was disabled: its entries stay, but none matches (``subject``: the
    bank's name)."""

    kind: ClassVar[str] = "bank.item_disabled"
    content_item_id: int


@dataclass(frozen=True)
class ApiKeyCreated(Event):
    """An API key was created (``subject``: the key's name; ``owner``: the client it
    belongs to, whose records it reads and writes; ``scopes``: what it may do)."""

    kind: ClassVar[str] = "api_key.created"
    owner: str
    scopes: list[str]


@dataclass(frozen=True)
class ApiKeyRevoked(Event):
    """An API key was revoked (``subject``: the key's name; ``owner``: the client it
    belongs to, whose other keys keep working)."""

    kind: ClassVar[str] = "api_key.revoked"
    owner: str


@dataclass(frozen=True)
class UserCreated(Event):
    """A person was given a UI account (``subject``: the user's name)."""

    kind: ClassVar[str] = "user.created"
    role: str


@dataclass(frozen=True)
class UserRoleChanged(Event):
    """A user's role changed (``subject``: the user's name)."""

    kind: ClassVar[str] = "user.role_changed"
    role: str


@dataclass(frozen=True)
class UserDisabled(Event):
    """A user can no longer log in; their sessions ended (``subject``: the user's name)."""

    kind: ClassVar[str] = "user.disabled"


@dataclass(frozen=True)
class UserLoggedIn(Event):
    """A user logged in to the UI (``subject``: the user's name)."""

    kind: ClassVar[str] = "user.logged_in"
    address: str


@dataclass(frozen=True)
class ReviewClaimed(Event):
    """A user claimed a review item to work on it (``client``: the user's name;
    ``subject``: the item's id)."""

    kind: ClassVar[str] = "review.claimed"


@dataclass(frozen=True)
class ReviewReleased(Event):
    """A user let go of their claim on a review item (``subject``: the item's id)."""

    kind: ClassVar[str] = "review.released"


@dataclass(frozen=True)
class ReviewDecided(Event):
    """A user decided a review item (``subject``: the item's id). Only the length of
    the reason is logged, never its text; ``safelist_bank`` names the safelist its
    signals went into (false positives)."""

    kind: ClassVar[str] = "review.decided"
    outcome: str
    reason_length: int
    safelist_bank: str | None


@dataclass(frozen=True)
class ReviewReversed(Event):
    """An admin reversed the decision ``decision_id`` and reopened the item
    (``subject``: the item's id); only the length of the reason is logged."""

    kind: ClassVar[str] = "review.reversed"
    decision_id: int
    reason_length: int


@dataclass(frozen=True)
class ReviewJoined(Event):
    """A repeat upload of content already in the queue joined its item (``subject``:
    the item's id) instead of opening another."""

    kind: ClassVar[str] = "review.joined"
    screening_id: str
    occurrences: int


@dataclass(frozen=True)
class ReportReceived(Event):
    """A client sent a user's report (``subject``: the report's id); it joined the review
    item ``review_item_id``. The report's text is never logged."""

    kind: ClassVar[str] = "report.received"
    category: str
    target_kind: str
    review_item_id: str


@dataclass(frozen=True)
class AppealReceived(Event):
    """A client sent an affected user's appeal against ``decision_id`` (``subject``: the
    appeal's id), queued as the review item ``review_item_id``."""

    kind: ClassVar[str] = "appeal.received"
    decision_id: int
    review_item_id: str


@dataclass(frozen=True)
class AppealDecided(Event):
    """A user decided an appeal (``subject``: the appeal's id): ``granted`` reversed
    the decision ``decision_id``, ``denied`` let it stand."""

    kind: ClassVar[str] = "appeal.decided"
    outcome: str
    decision_id: int


@dataclass(frozen=True)
class EvidenceStored(Event):
    """Content went into the evidence vault, encrypted (``subject``: the evidence id)."""

    kind: ClassVar[str] = "evidence.stored"
    screening_id: str | None
    sha256: str
    size: int
    retain_until: str


@dataclass(frozen=True)
class EvidenceHeld(Event):
    """Evidence was put under legal hold until ``hold_until`` (``subject``: its id)."""

    kind: ClassVar[str] = "evidence.held"
    hold_until: str
    reason: str


@dataclass(frozen=True)
class EvidencePurged(Event):
    """Evidence past its retention and not on hold was deleted (``subject``: its id)."""

    kind: ClassVar[str] = "evidence.purged"
    sha256: str


@dataclass(frozen=True)
class WebhookAdded(Event):
    """An endpoint was registered for webhooks (``subject``: its id); never its secret."""

    kind: ClassVar[str] = "webhook.added"
    url: str
    events: list[str]


@dataclass(frozen=True)
class WebhookDisabled(Event):
    """An endpoint gets no more deliveries (``subject``: its id)."""

    kind: ClassVar[str] = "webhook.disabled"
    url: str


@dataclass(frozen=True)
class AuthorityReportDrafted(Event):
    """A report of a confirmed item to an authority was drafted (``subject``: its id)."""

    kind: ClassVar[str] = "authority_report.drafted"
    authority: str
    review_item_id: str
    state: str


@dataclass(frozen=True)
class AuthorityReportConfirmed(Event):
    """A moderator confirmed a drafted report: it may be sent (``subject``: its id)."""

    kind: ClassVar[str] = "authority_report.confirmed"
    authority: str
    review_item_id: str
    state: str


@dataclass(frozen=True)
class AuthorityReportSubmitted(Event):
    """The authority opened the report and gave it ``remote_id`` (``subject``: its id)."""

    kind: ClassVar[str] = "authority_report.submitted"
    authority: str
    review_item_id: str
    state: str
    remote_id: str


@dataclass(frozen=True)
class AuthorityReportFinished(Event):
    """The report is complete and sent (``subject``: its id)."""

    kind: ClassVar[str] = "authority_report.finished"
    authority: str
    review_item_id: str
    state: str
    remote_id: str


@dataclass(frozen=True)
class AuthorityReportRetracted(Event):
    """A report that failed for good was withdrawn (``subject``: its id)."""

    kind: ClassVar[str] = "authority_report.retracted"
    authority: str
    review_item_id: str
    state: str
    remote_id: str | None


@dataclass(frozen=True)
class AgeAssured(Event):
    """An age-assurance outcome was recorded (``subject``: the client's user id)."""

    kind: ClassVar[str] = "account.age_assured"
    provider: str
    method: str
    band: str
    highly_effective: bool
    via: str  # api or callback
    derived_band: str  # the account's band after it


@dataclass(frozen=True)
class AccountUnderMinimumAge(Event):
    """A user assured younger than the service's minimum age: an account action for
    moderators (``subject``: the client's user id)."""

    kind: ClassVar[str] = "account.under_minimum_age"
    band: str
    minimum_age: int
    review_item_id: str


@dataclass(frozen=True)
class AccountSettingChanged(Event):
    """A child-safety default was turned on or back off (``subject``: the user id)."""

    kind: ClassVar[str] = "account.setting_changed"
    setting: str
    enabled: bool
    changed_by: str  # self or parent


@dataclass(frozen=True)
class PlatformReportFiled(Event):
    """Safeguard filed a report with the platform about flagged content (``subject``: the
    platform and its id of the content, e.g. ``mastodon:status:<id>``)."""

    kind: ClassVar[str] = "platform.report_filed"
    report_id: str
    screening_ids: list[str]


# Who changes things on behalf of Safeguard itself (the demo, maintenance jobs).
SYSTEM_ACTOR = "safeguard"


@dataclass(frozen=True)
class RecordedEvent:
    """An event as the log holds it."""

    id: int
    at: datetime
    kind: str
    client: str
    subject: str
    details: dict[str, Any]


def record(session: Session, event: Event) -> None:
    """Add ``event`` to the log in the session's transaction."""
    session.add(
        AuditEvent(
            client=event.client, action=event.kind, subject=event.subject, details=event.details()
        )
    )


def read_events(
    session: Session, *, after: int = 0, kinds: list[str] | None = None, limit: int = 100
) -> list[RecordedEvent]:
    """Events after the id ``after``, oldest first (``kinds`` restricts them)."""
    query = select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(limit)
    if kinds is not None:
        query = query.where(AuditEvent.action.in_(kinds))
    return [
        RecordedEvent(e.id, e.at, e.action, e.client, e.subject, dict(e.details))
        for e in session.scalars(query)
    ]
