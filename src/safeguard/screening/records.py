"""Reading the audit records of screenings, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from safeguard.errors import NotFound
from safeguard.screening.policy import Decision
from safeguard.store.db import Database
from safeguard.store.models import Screening


@dataclass(frozen=True)
class RecordedSignals:
    """The hashes a screening was decided on (None where not computed or not given)."""

    md5: str | None
    sha256: str | None
    pdq: str | None
    pdq_quality: int | None


@dataclass(frozen=True)
class ScreeningRecord:
    """One screening as it was recorded: who asked, on what, and what was decided."""

    screening_id: str
    created_at: datetime
    client: str
    source: str
    content_id: str | None
    uploader_id: str | None
    signals: RecordedSignals
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
            signals=RecordedSignals(record.md5, record.sha256, record.pdq, record.pdq_quality),
            decision=Decision(record.decision),
            matches=list(record.matches),
        )
