"""What moderators see of an item's content: the evidence kept for its uploads.

Media is shown only to moderators and admins, only for items still in the queue (open
or escalated), and only evidence of the item's own uploads; every view is a read of the
vault, which records who looked and for which item. The number of items a moderator has
looked at since their session began is their exposure, which the UI counts to suggest
breaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from safeguard.errors import Forbidden, NotFound
from safeguard.evidence import vault
from safeguard.evidence.keys import Keyring
from safeguard.moderation.intake import item_screening_ids
from safeguard.moderation.people import Role, UserView
from safeguard.store.db import Database
from safeguard.store.models import EvidenceAccess, EvidenceObject, ReviewItem

IN_QUEUE = ("open", "escalated")
_READ = "read"


@dataclass(frozen=True)
class MediaView:
    """Evidence kept for one of an item's uploads (nothing decrypted)."""

    evidence_id: str
    content_type: str
    size: int
    created_at: datetime


def purpose(item_id: str) -> str:
    """Why a moderator reads an item's evidence, as the access record says it."""
    return f"review item {item_id}"


def item_media(db: Database, item_id: str) -> list[MediaView]:
    """The evidence kept for the item's uploads, newest first."""
    with db.read_session() as session:
        return [MediaView(*row) for row in session.execute(_evidence_of(session, item_id))]


def open_media(
    db: Database, keyring: Keyring, item_id: str, evidence_id: str, user: UserView
) -> tuple[bytes, str]:
    """The content and content type of the item's evidence ``evidence_id``, for ``user``
    (a moderator or admin), while the item is in the queue; the read is recorded."""
    if not user.role.includes(Role.MODERATOR):
        raise Forbidden("media is shown to moderators and admins only")
    with db.read_session() as session:
        status = session.scalar(select(ReviewItem.status).where(ReviewItem.id == item_id))
        kept = session.execute(
            _evidence_of(session, item_id).where(EvidenceObject.id == evidence_id)
        ).first()
    if status is None or kept is None:
        raise NotFound("no such media for this item")
    if status not in IN_QUEUE:
        raise Forbidden("media is shown only for items in the queue")
    read = vault.read(db, keyring, evidence_id, actor=user.name, purpose=purpose(item_id))
    return read.content, read.media_type


def _evidence_of(session: Session, item_id: str) -> Select[str, str, int, datetime]:
    """The evidence of the item's screenings (its own and those of repeat uploads)."""
    return (
        select(
            EvidenceObject.id,
            EvidenceObject.media_type,
            EvidenceObject.size,
            EvidenceObject.created_at,
        )
        .where(EvidenceObject.screening_id.in_(item_screening_ids(session, item_id)))
        .order_by(EvidenceObject.created_at.desc(), EvidenceObject.id)
    )


def exposure(db: Database, user: UserView, since: datetime) -> int:
    """How many items' media ``user`` has looked at since ``since``."""
    query = select(func.count(func.distinct(EvidenceAccess.purpose))).where(
        EvidenceAccess.actor == user.name,
        EvidenceAccess.action == _READ,
        EvidenceAccess.at >= since,
    )
    with db.read_session() as session:
        return int(session.scalar(query) or 0)
