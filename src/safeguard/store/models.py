"""ORM models. Uploaded content is stored only in ``evidence_objects``, encrypted (the
evidence vault); everywhere else only hashes and metadata. Chat message text is kept
only for the retention period (SAFEGUARD_MESSAGE_RETENTION_HOURS)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime}


class Bank(Base):
    """A named hash list with the action its matches take."""

    __tablename__ = "banks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    action: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()  # set while its entries are purged

    thresholds: Mapped[list[BankThreshold]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class BankThreshold(Base):
    """A bank's match threshold for one distance-based signal type (types without a row
    use their default)."""

    __tablename__ = "bank_thresholds"

    bank_id: Mapped[str] = mapped_column(
        ForeignKey("banks.id", ondelete="CASCADE"), primary_key=True
    )
    signal_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    threshold: Mapped[int] = mapped_column(Integer)


class ContentItem(Base):
    """One known item of a bank (a picture, a video) that groups the signals of it."""

    __tablename__ = "content_items"
    __table_args__ = (Index("ix_content_items_bank_external", "bank_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bank_id: Mapped[str] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(256))
    note: Mapped[str | None] = mapped_column(Text)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str | None] = mapped_column(String(256))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Entry(Base):
    """One signal value of a content item. Values may be of any length: uniqueness and
    exact lookups go through ``value_digest``, the SHA-256 of the value."""

    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint(
            "bank_id", "signal_type", "value_digest", name="uq_entries_bank_signal_digest"
        ),
        Index("ix_entries_signal_digest", "signal_type", "value_digest"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bank_id: Mapped[str] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    content_item_id: Mapped[int] = mapped_column(
        ForeignKey("content_items.id", ondelete="CASCADE"), index=True
    )
    signal_type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    value_digest: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EntryChange(Base):
    """Append-only change log: every worker replays it to keep its indexes in sync."""

    __tablename__ = "entry_changes"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class BankImport(Base):
    """One list import (``banks/imports.py``): ``staging`` while its entries go into
    ``staged_entries``, where no reader looks, then ``done`` once published in one
    transaction, or ``abandoned`` (failed, or its heartbeat stopped). ``counts``: what
    the import read, added and found already present."""

    __tablename__ = "bank_imports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    bank_id: Mapped[str] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(256))
    format: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class StagedEntry(Base):
    """An entry of an import being staged, invisible to every reader until published.
    ``item`` numbers the content item it belongs to within the import (1, 2, ... in the
    order items first appear); ``content_item_id`` is filled in while publishing."""

    __tablename__ = "staged_entries"
    __table_args__ = (Index("ix_staged_entries_import_item", "import_id", "item"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    import_id: Mapped[str] = mapped_column(ForeignKey("bank_imports.id", ondelete="CASCADE"))
    item: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(256))
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str | None] = mapped_column(String(256))
    signal_type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    value_digest: Mapped[str] = mapped_column(String(64))
    content_item_id: Mapped[int | None] = mapped_column(BigInteger)


class Screening(Base):
    """Audit record of one screening: who asked, the content's hashes, the decision."""

    __tablename__ = "screenings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    client: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(16))
    content_id: Mapped[str | None] = mapped_column(String(256))
    uploader_id: Mapped[str | None] = mapped_column(String(256))
    decision: Mapped[str] = mapped_column(String(16))
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    signals: Mapped[list[ScreeningSignal]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin"
    )


class ScreeningJob(Base):
    """An upload screened in the background (``screening/jobs.py``): its state, and until
    it ends the upload and what the platform told of it, encrypted under ``key_id``.
    ``lease_until``: when a queued job is due, or a running one's worker is taken as gone.
    """

    __tablename__ = "screening_jobs"
    __table_args__ = (Index("ix_screening_jobs_due", "status", "lease_until"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    client: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    key_id: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    details: Mapped[bytes | None] = mapped_column(LargeBinary)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ScreeningSignal(Base):
    """One signal value a screening was decided on (the content's own, not its views)."""

    __tablename__ = "screening_signals"
    __table_args__ = (
        UniqueConstraint("screening_id", "signal_type", name="uq_screening_signals_type"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    screening_id: Mapped[str] = mapped_column(ForeignKey("screenings.id", ondelete="CASCADE"))
    signal_type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    quality: Mapped[int | None] = mapped_column(Integer)


class Client(Base):
    """A platform or tenant: it owns its API keys and its records (screenings,
    conversations, review items), which outlive any one key."""

    __tablename__ = "clients"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """A key of a client. Only the SHA-256 of the key is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    client: Mapped[str] = mapped_column(ForeignKey("clients.name"), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class Conversation(Base):
    """A client's conversation: its streaming state (hashed features only) and its risk."""

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("client", "external_id", name="uq_conversations_client_external"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    client: Mapped[str] = mapped_column(String(128))
    external_id: Mapped[str] = mapped_column(String(256))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    risk: Mapped[float] = mapped_column(Float, default=0.0)
    first_flag_index: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConversationMessage(Base):
    """One message's metadata and score. Its text is erased after the retention period."""

    __tablename__ = "conversation_messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "position", name="uq_messages_conversation_position"),
        # Only messages that still hold text: the retention pass reads nothing else.
        Index(
            "ix_messages_text_held_received_at",
            "received_at",
            postgresql_where=sql("text IS NOT NULL"),
            sqlite_where=sql("text IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    sender_id: Mapped[str] = mapped_column(String(256))
    recipient_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    sender_age_band: Mapped[str | None] = mapped_column(String(16))
    sent_at: Mapped[datetime] = mapped_column()
    text: Mapped[str | None] = mapped_column(Text)
    cues: Mapped[list[str]] = mapped_column(JSON, default=list)
    risk: Mapped[float] = mapped_column(Float)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewItem(Base):
    """A record in the moderators' review queue: a screening that blocked or asked for
    review, a flagged conversation, a user report or an appeal (``kind``).

    ``priority`` orders the queue (higher first, then older first). ``open_key`` names
    the content of a screening item while the item is undecided, so that repeated
    uploads of the same content join it (unique per client; cleared on decision).
    """

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("client", "open_key", name="uq_review_items_client_open_key"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    kind: Mapped[str] = mapped_column(String(16))  # screening, conversation, report, appeal
    client: Mapped[str] = mapped_column(String(128))
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    screening_id: Mapped[str | None] = mapped_column(ForeignKey("screenings.id"))
    reason: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column()
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    open_key: Mapped[str | None] = mapped_column(String(128))


class ReviewItemScreening(Base):
    """A screening that joined a review item: the first upload and every repeat of it."""

    __tablename__ = "review_item_screenings"

    review_item_id: Mapped[str] = mapped_column(
        ForeignKey("review_items.id", ondelete="CASCADE"), primary_key=True
    )
    screening_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)


class ReviewItemBank(Base):
    """A bank whose entries put a review item in the queue (for the queue's bank filter)."""

    __tablename__ = "review_item_banks"

    review_item_id: Mapped[str] = mapped_column(
        ForeignKey("review_items.id", ondelete="CASCADE"), primary_key=True
    )
    bank_id: Mapped[str] = mapped_column(
        ForeignKey("banks.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class UserReport(Base):
    """A report by one of a client's users about content, a user or a conversation.

    ``target_kind`` is content, screening, hash, user or conversation; ``signal_type``
    is set for a hash. The report joins the review item ``review_item_id``.
    """

    __tablename__ = "user_reports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    client: Mapped[str] = mapped_column(String(128), index=True)
    reporter_id: Mapped[str] = mapped_column(String(256))
    category: Mapped[str] = mapped_column(String(32))
    target_kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(Text)
    signal_type: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    review_item_id: Mapped[str] = mapped_column(
        ForeignKey("review_items.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Appeal(Base):
    """An affected user's appeal against a decision; it is worked as a review item of its
    own (``review_item_id``) by someone other than the decision's moderator."""

    __tablename__ = "appeals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    client: Mapped[str] = mapped_column(String(128), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("review_decisions.id"), index=True)
    appellant_id: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text)
    review_item_id: Mapped[str] = mapped_column(
        ForeignKey("review_items.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(16))
    decided_at: Mapped[datetime | None] = mapped_column()


class EvidenceObject(Base):
    """Content kept as evidence, encrypted with AES-256-GCM under the key ``key_id``.

    ``content`` and ``details`` (the JSON metadata: uploader, address, file name, ...)
    are each a nonce followed by the ciphertext; the SHA-256 of the plaintext content is
    kept in the clear to find it. Nothing may delete it before ``retain_until``, nor
    while ``hold_until`` lies ahead (a legal hold).
    """

    __tablename__ = "evidence_objects"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    screening_id: Mapped[str | None] = mapped_column(String(36), index=True)
    key_id: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    details: Mapped[bytes] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retain_until: Mapped[datetime] = mapped_column(index=True)
    hold_until: Mapped[datetime | None] = mapped_column()
    hold_reason: Mapped[str | None] = mapped_column(String(256))


class EvidenceAccess(Base):
    """Who did what to an evidence object and why (kept after the object is purged)."""

    __tablename__ = "evidence_access"
    __table_args__ = (Index("ix_evidence_access_actor_at", "actor", "at"),)  # exposure

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    evidence_id: Mapped[str] = mapped_column(String(36), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(Text)


class ReviewDecision(Base):
    """What a moderator decided on a review item, and why; an admin's reversal is a
    decision of its own (``outcome`` "reversed") that names the one it reverses."""

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    review_item_id: Mapped[str] = mapped_column(
        ForeignKey("review_items.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    safelist_bank: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("review_decisions.id"))


class AuditEvent(Base):
    """An audit entry for an action taken on a client's behalf (hashes and ids, no text)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    client: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(256))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class User(Base):
    """A person who works in the moderator UI. Only an argon2 hash of the password is kept."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column()


class UiSession(Base):
    """A logged-in user's session in the UI; only the SHA-256 of its token is kept."""

    __tablename__ = "ui_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginFailure(Base):
    """A failed login, kept for the throttling window: by the name tried and the address."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_name_at", "name", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class HealthProbe(Base):
    """One row that health checks rewrite, to prove the database takes writes."""

    __tablename__ = "health_probes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuthorityReport(Base):
    """A report of a confirmed item to an authority (NCMEC, the NCA, ...), as a state
    machine: drafted, confirmed by a moderator (``payload`` is then fixed: exactly what
    they saw), submitted (``remote_id`` is the authority's id), files uploaded, finished;
    or retracted. ``next_attempt_at`` schedules the next step after a failure."""

    __tablename__ = "authority_reports"
    __table_args__ = (
        UniqueConstraint("review_item_id", "authority", name="uq_authority_reports_item"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    review_item_id: Mapped[str] = mapped_column(ForeignKey("review_items.id"), index=True)
    authority: Mapped[str] = mapped_column(String(16))
    environment: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    payload: Mapped[str] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(128))
    drafted_by: Mapped[str] = mapped_column(String(128))
    confirmed_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)


class AuthorityReportFile(Base):
    """A file of an authority report: the evidence it comes from, the facts sent about
    it, and how far its upload got (``pending``, ``uploaded``, ``described``)."""

    __tablename__ = "authority_report_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(
        ForeignKey("authority_reports.id", ondelete="CASCADE"), index=True
    )
    evidence_id: Mapped[str] = mapped_column(String(36))
    file_name: Mapped[str] = mapped_column(String(256))
    md5: Mapped[str] = mapped_column(String(32))
    sha1: Mapped[str] = mapped_column(String(40))
    remote_file_id: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default="pending")


class AuthorityExchange(Base):
    """One request to an authority and its answer, for admins to read (never content)."""

    __tablename__ = "authority_exchanges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    report_id: Mapped[str] = mapped_column(
        ForeignKey("authority_reports.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    step: Mapped[str] = mapped_column(String(32))
    status_code: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text)


class WebhookEndpoint(Base):
    """A platform's endpoint for events: the kinds it subscribes to, the secret its
    deliveries are signed with, and the last event id already turned into deliveries."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column()
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class WebhookDelivery(Base):
    """One event for one endpoint: ``pending`` until acknowledged (``delivered``) or given
    up (``failed``); retried at ``next_attempt_at``."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)


class Account(Base):
    """One of a client's users, by the client's own id: what the client declared of their
    age, their linked parent (the parent's own user id), and the child-safety defaults
    turned on (``settings``: name -> who turned it on and when)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("client", "user_id", name="uq_accounts_client_user"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    client: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(256))
    declared_age: Mapped[int | None] = mapped_column(Integer)
    birth_date: Mapped[date | None] = mapped_column(Date)
    declared_at: Mapped[datetime | None] = mapped_column()
    parent_user_id: Mapped[str | None] = mapped_column(String(256))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    band: Mapped[str] = mapped_column(String(16), default="unknown")  # as last derived
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgeAssuranceOutcome(Base):
    """An age check's result for an account: sent by the client, or by a provider in a
    signed callback (``provider_id``, with the provider's ``reference`` unique per
    provider so that a replayed callback is refused)."""

    __tablename__ = "age_assurance_outcomes"
    __table_args__ = (
        UniqueConstraint("provider_id", "reference", name="uq_age_assurance_reference"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(128))
    provider_id: Mapped[str | None] = mapped_column(
        ForeignKey("age_assurance_providers.id", ondelete="SET NULL")
    )
    reference: Mapped[str | None] = mapped_column(String(256))
    method: Mapped[str] = mapped_column(String(32))
    band: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    assured_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgeAssuranceProvider(Base):
    """An age-assurance provider a client registered: it signs its callbacks with
    ``secret`` (shown once, at registration)."""

    __tablename__ = "age_assurance_providers"
    __table_args__ = (UniqueConstraint("client", "name", name="uq_age_assurance_providers"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    client: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(128))
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountConnection(Base):
    """Two of a client's users connected (friends, followers both ways): the pair is
    stored once, the smaller user id first."""

    __tablename__ = "account_connections"

    client: Mapped[str] = mapped_column(String(128), primary_key=True)
    first_user_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    second_user_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Exchange(Base):
    """A configured hash-list source (``safeguard.exchanges``) fetched into a bank: its
    adapter, its settings (never credentials: those come from environment variables the
    settings name), the checkpoint after the last page applied, and its state
    (``new``, ``ok``, ``failed``). ``lease_owner`` holds it while one fetch runs;
    ``feedback_event_id`` is the last event read for feedback (``exchanges/feedback.py``)."""

    __tablename__ = "exchanges"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    adapter: Mapped[str] = mapped_column(String(64))
    bank_id: Mapped[str] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checkpoint: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="new")
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_fetch_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    feedback_event_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class ExchangeFetch(Base):
    """One fetch of an exchange: when, how many pages were applied and what they did."""

    __tablename__ = "exchange_fetches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    exchange_id: Mapped[str] = mapped_column(
        ForeignKey("exchanges.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    pages: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class ExchangeFeedback(Base):
    """The opinion moderators' decisions ask to send an exchange's source of one
    fingerprint of one of its records: ``pending`` until the source takes it (``sent``,
    ``sent_opinion`` is then what it holds) or it is given up (``failed``, with the
    error); retried at ``next_attempt_at`` until ``queued_at`` + the retry window."""

    __tablename__ = "exchange_feedback"
    __table_args__ = (
        UniqueConstraint(
            "exchange_id", "record", "fingerprint", name="uq_exchange_feedback_fingerprint"
        ),
        Index("ix_exchange_feedback_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    exchange_id: Mapped[str] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"))
    record: Mapped[str] = mapped_column(String(256))
    fingerprint: Mapped[str] = mapped_column(String(32))
    opinion: Mapped[str] = mapped_column(String(16))
    sent_opinion: Mapped[str | None] = mapped_column(String(16))
    review_item_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)


class BackfillRun(Base):
    """One backfill of stored media (``scale/backfill.py``): its source (normalised), the
    options it screens with, ``running`` until it ends ``done`` (or ``failed``), and the
    counts of its latest pass."""

    __tablename__ = "backfill_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    source: Mapped[str] = mapped_column(String(1024), index=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class BackfillItem(Base):
    """One item a backfill took on: ``pending`` from just before its screening until the
    screening is recorded here (``decided``, with its id). ``key`` names the item (source,
    location, version, banks): unique, so no item is decided twice."""

    __tablename__ = "backfill_items"
    __table_args__ = (UniqueConstraint("key", name="uq_backfill_items_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(
        ForeignKey("backfill_runs.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str | None] = mapped_column(String(16))
    screening_id: Mapped[str | None] = mapped_column(String(36))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
