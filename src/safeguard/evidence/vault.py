"""Storing, reading, holding and purging evidence, as plain values.

Content and its details (uploader, address, time, file name, hashes...) are encrypted
separately under the keyring's current key; the SHA-256 and size of the content stay in
the clear, to find it. Every action on an object (store, read, hold, retention, delete,
purge) leaves an access row naming who and why, kept after the object is gone; changes
also leave an event, in the transaction of the change. Nothing deletes an object before
its ``retain_until``, nor while its legal hold (``hold_until``) lies ahead: the condition
is part of each DELETE, so a hold set meanwhile always wins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy import delete as delete_rows
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.errors import BadRequest, Conflict, EvidenceKeyError, NotFound
from safeguard.events import SYSTEM_ACTOR, EvidenceHeld, EvidencePurged, EvidenceStored
from safeguard.evidence.keys import Keyring
from safeguard.store.db import Database, changed_rows
from safeguard.store.models import EvidenceAccess, EvidenceObject, new_uuid, utcnow

CONTENT, DETAILS = "content", "details"  # the encrypted parts of an object
PURGE_BATCH = 100  # objects purged per transaction
MAX_ACTOR = 128
MAX_MEDIA_TYPE = 128
MAX_HOLD_REASON = 256
MAX_PURPOSE = 1000


@dataclass(frozen=True)
class EvidenceView:
    """An evidence object, decrypted (its content and details are left out of repr)."""

    id: str
    screening_id: str | None
    media_type: str
    size: int
    sha256: str
    created_at: datetime
    retain_until: datetime
    hold_until: datetime | None
    hold_reason: str | None
    content: bytes = field(repr=False)
    details: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class AccessView:
    """One action on an evidence object: who, what (store, read, hold, retention, delete,
    purge), why and when."""

    evidence_id: str
    at: datetime
    actor: str
    action: str
    purpose: str


def store(
    session: Session,
    keyring: Keyring,
    *,
    content: bytes,
    media_type: str,
    details: dict[str, Any],
    screening_id: str | None,
    retain_until: datetime,
    actor: str,
) -> str:
    """Keep ``content`` and its ``details`` (JSON values; datetimes become ISO 8601)
    encrypted until at least ``retain_until``, in the caller's transaction; the new
    evidence id."""
    who = _text(actor, "the actor", MAX_ACTOR)
    kind = _text(media_type, "the media type", MAX_MEDIA_TYPE)
    until = _aware(retain_until, "retain_until")
    try:
        plain_details = json.dumps(details, sort_keys=True, allow_nan=False, default=_iso)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"evidence details must be JSON values: {exc}") from None
    evidence_id = new_uuid()
    key_id, sealed = keyring.encrypt(content, evidence_id=evidence_id, part=CONTENT)
    _, sealed_details = keyring.encrypt(
        plain_details.encode(), evidence_id=evidence_id, part=DETAILS
    )
    digest = hashlib.sha256(content).hexdigest()
    session.add(
        EvidenceObject(
            id=evidence_id,
            screening_id=screening_id,
            key_id=key_id,
            content=sealed,
            details=sealed_details,
            media_type=kind,
            size=len(content),
            sha256=digest,
            retain_until=until,
        )
    )
    purpose = f"screening {screening_id}" if screening_id is not None else "kept as evidence"
    _log(session, evidence_id, who, "store", purpose)
    events.record(
        session,
        EvidenceStored(who, evidence_id, screening_id, digest, len(content), until.isoformat()),
    )
    return evidence_id


def read(
    db: Database, keyring: Keyring, evidence_id: str, *, actor: str, purpose: str
) -> EvidenceView:
    """The object, decrypted, for ``actor`` who says why (``purpose``, required). The
    access is committed before decrypting, so even a read that fails is on record;
    EvidenceKeyError if the object does not decrypt or its content does not match its
    SHA-256."""
    who = _text(actor, "the actor", MAX_ACTOR)
    why = _text(purpose, "the purpose of a read", MAX_PURPOSE)
    with db.session() as session:
        row = _object(session, evidence_id)
        _log(session, evidence_id, who, "read", why)
    content = keyring.decrypt(row.content, evidence_id=row.id, key_id=row.key_id, part=CONTENT)
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise EvidenceKeyError(f"the content of evidence {row.id} does not match its SHA-256")
    details = keyring.decrypt(row.details, evidence_id=row.id, key_id=row.key_id, part=DETAILS)
    return EvidenceView(
        id=row.id,
        screening_id=row.screening_id,
        media_type=row.media_type,
        size=row.size,
        sha256=row.sha256,
        created_at=row.created_at,
        retain_until=row.retain_until,
        hold_until=row.hold_until,
        hold_reason=row.hold_reason,
        content=content,
        details=json.loads(details),
    )


def find(session: Session, screening_ids: Collection[str]) -> list[str]:
    """The ids of the evidence kept for these screenings, newest first (nothing is
    decrypted, nothing logged)."""
    if not screening_ids:
        return []
    query = (
        select(EvidenceObject.id)
        .where(EvidenceObject.screening_id.in_(list(screening_ids)))
        .order_by(EvidenceObject.created_at.desc(), EvidenceObject.id.desc())
    )
    return list(session.scalars(query))


def hold(
    session: Session, evidence_id: str, *, until: datetime, reason: str, actor: str
) -> datetime:
    """Put the object under legal hold until ``until`` (in the future), in the caller's
    transaction; the hold's end. A hold is never shortened: a later one in place stays,
    with its reason."""
    who = _text(actor, "the actor", MAX_ACTOR)
    why = _text(reason, "the reason for a hold", MAX_HOLD_REASON)
    end = _aware(until, "the end of a hold")
    if end <= utcnow():
        raise BadRequest("a hold must end in the future")
    row = EvidenceObject
    longer = update(row).where(
        row.id == evidence_id, or_(row.hold_until.is_(None), row.hold_until < end)
    )
    if changed_rows(session, longer.values(hold_until=end, hold_reason=why)) == 0:
        end = _object(session, evidence_id).hold_until or end  # a later hold stands
    _log(session, evidence_id, who, "hold", why)
    events.record(session, EvidenceHeld(who, evidence_id, end.isoformat(), why))
    return end


def set_retention(session: Session, evidence_id: str, retain_until: datetime, actor: str) -> None:
    """Keep the object until ``retain_until``, earlier or later than before (a false
    positive may be purgeable now), in the caller's transaction. A hold is unchanged."""
    who = _text(actor, "the actor", MAX_ACTOR)
    until = _aware(retain_until, "retain_until")
    retained = update(EvidenceObject).where(EvidenceObject.id == evidence_id)
    if changed_rows(session, retained.values(retain_until=until)) == 0:
        raise NotFound(f"no evidence {evidence_id!r}")
    _log(session, evidence_id, who, "retention", f"retain until {until.isoformat()}")


def delete(db: Database, evidence_id: str, actor: str) -> None:
    """Delete the object now; Conflict while it is under hold or before its
    ``retain_until``."""
    who = _text(actor, "the actor", MAX_ACTOR)
    with db.session() as session:
        now = utcnow()
        gone = (
            delete_rows(EvidenceObject)
            .where(EvidenceObject.id == evidence_id, _purgeable(now))
            .returning(EvidenceObject.sha256)
        )
        digest = session.execute(gone, execution_options={"synchronize_session": False}).scalar()
        if digest is None:
            row = _object(session, evidence_id)
            if row.hold_until is not None and row.hold_until > now:
                raise Conflict(
                    f"evidence {evidence_id} is under legal hold until {row.hold_until.isoformat()}"
                )
            raise Conflict(f"evidence {evidence_id} is kept until {row.retain_until.isoformat()}")
        _log(session, evidence_id, who, "delete", "deleted after its retention ended")
        events.record(session, EvidencePurged(who, evidence_id, digest))


def purge(db: Database, now: datetime | None = None, batch: int = PURGE_BATCH) -> int:
    """Delete every object past its ``retain_until`` and not under hold at ``now``
    (default: the current time), ``batch`` per transaction; how many were deleted.

    Safe to interrupt, rerun, or run in several processes at once: an object's access
    row and event commit with its deletion, each DELETE checks the condition itself, and
    on PostgreSQL concurrent purges skip the rows another one is deleting.
    """
    if batch < 1:
        raise BadRequest("a purge batch needs at least one object")
    due = _purgeable(_aware(now, "now") if now is not None else utcnow())
    chosen = (
        select(EvidenceObject.id)
        .where(due)
        .order_by(EvidenceObject.retain_until)
        .limit(batch)
        .with_for_update(skip_locked=True)  # PostgreSQL: purgers at once take turns
        .scalar_subquery()
    )
    statement = (
        delete_rows(EvidenceObject)
        .where(EvidenceObject.id.in_(chosen), due)
        .returning(EvidenceObject.id, EvidenceObject.sha256)
    )
    purged = 0
    while True:
        with db.session() as session:
            rows = session.execute(statement, execution_options={"synchronize_session": False})
            deleted = rows.all()
            for evidence_id, digest in deleted:
                _log(session, evidence_id, SYSTEM_ACTOR, "purge", "retention ended")
                events.record(session, EvidencePurged(SYSTEM_ACTOR, evidence_id, digest))
        purged += len(deleted)
        if len(deleted) < batch:
            return purged


def access_log(db: Database, evidence_id: str) -> list[AccessView]:
    """Every action on the object, oldest first (also after it was purged)."""
    query = (
        select(EvidenceAccess)
        .where(EvidenceAccess.evidence_id == evidence_id)
        .order_by(EvidenceAccess.id)
    )
    with db.read_session() as session:
        return [
            AccessView(a.evidence_id, a.at, a.actor, a.action, a.purpose)
            for a in session.scalars(query)
        ]


def _purgeable(now: datetime) -> ColumnElement[bool]:
    row = EvidenceObject
    return and_(row.retain_until <= now, or_(row.hold_until.is_(None), row.hold_until <= now))


def _object(session: Session, evidence_id: str) -> EvidenceObject:
    row = session.get(EvidenceObject, evidence_id, populate_existing=True)
    if row is None:
        raise NotFound(f"no evidence {evidence_id!r}")
    return row


def _log(session: Session, evidence_id: str, actor: str, action: str, purpose: str) -> None:
    session.add(
        EvidenceAccess(evidence_id=evidence_id, actor=actor, action=action, purpose=purpose)
    )


def _text(value: str, what: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise BadRequest(f"{what} is required")
    if len(text) > limit:
        raise BadRequest(f"{what} may have at most {limit} characters")
    if "\x00" in text:
        raise BadRequest(f"{what} may not contain NUL characters")
    return text


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise BadRequest(f"{what} needs a time zone")
    return moment.astimezone(UTC)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a JSON value")
