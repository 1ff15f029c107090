"""The change log of bank entries (``entry_changes``): where it has reached."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeguard.store.models import EntryChange


def last_change(session: Session) -> int:
    """The sequence number of the last change logged (0 before any)."""
    return int(session.scalar(select(func.coalesce(func.max(EntryChange.seq), 0))) or 0)
