"""The change log of bank entries (``entry_changes``): where it has reached, and what
changed since a point of it."""

from __future__ import annotations

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from safeguard.store.models import ContentItem, Entry, EntryChange


def last_change(session: Session) -> int:
    """The sequence number of the last change logged (0 before any)."""
    return int(session.scalar(select(func.coalesce(func.max(EntryChange.seq), 0))) or 0)


def changes_since(seq: int) -> Select[int, int, str, str, str, bool]:
    """The change-log rows after ``seq`` in order, each with its entry's state now: (seq,
    entry id, bank id, signal type, value, taking part); None for a deleted entry's."""
    return (
        select(
            EntryChange.seq,
            EntryChange.entry_id,
            Entry.bank_id,
            Entry.signal_type,
            Entry.value,
            and_(Entry.enabled, ContentItem.enabled),
        )
        .outerjoin(Entry, Entry.id == EntryChange.entry_id)
        .outerjoin(ContentItem, ContentItem.id == Entry.content_item_id)
        .where(EntryChange.seq > seq)
        .order_by(EntryChange.seq)
    )
