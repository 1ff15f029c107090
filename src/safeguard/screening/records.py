"""Reading the audit records of screenings, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from safeguard.errors import NotFound
from safeguard.screening.policy import Decision
from safeguard.screening.signals import signals_dict
from safeguard.signals.base import SignalValue
from safeguard.store.db import Database
from safeguard.store.models import Screening


@dataclass(frozen=True)
class ScreeningRecord:
    """One screening as it was recorded: who asked, on what, and what was decided."""

    screening_id: str
    created_at: datetime
    client: str
    source: str
    content_id: str | None
    uploader_id: str | None
    signals: dict[str, object]
    """As the screening's answer gave them: ``{type: value, <type>_quality: quality}``."""
    decision: Decision
    matches: list[dict[str, Any]]


def get_screening(db: Database, client: str, screening_id: str) -> ScreeningRecord:
    """The client's screening ``screening_id``; NotFound if absent or another client's."""
    with db.read_session() as session:
        record = session.get(Screening, screening_id)
        if record is None or record.client != client:
            raise NotFound(f"no screening {screening_id!r}")
        return ScreeningRecord(
            screening_id=record.id,
            created_at=record.created_at,
            client=record.client,
            source=record.source,
            content_id=record.content_id,
            uploader_id=record.uploader_id,
            signals=signals_dict(
                {s.signal_type: SignalValue(s.value, s.quality) for s in record.signals}
            ),
            decision=Decision(record.decision),
            matches=list(record.matches),
        )
