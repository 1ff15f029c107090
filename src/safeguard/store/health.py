"""The database health probe: a read and a one-row write, as every screening needs both."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.exc import SQLAlchemyError

from safeguard.errors import DatabaseUnavailable
from safeguard.store.db import Database
from safeguard.store.models import HealthProbe, utcnow

_PROBE_ID = 1


def probe_database(db: Database) -> None:
    """Rewrite the probe row; raise DatabaseUnavailable if the database cannot do it."""
    try:
        with db.session() as session:
            done = session.execute(
                update(HealthProbe).where(HealthProbe.id == _PROBE_ID).values(checked_at=utcnow())
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]
                session.execute(insert(HealthProbe).values(id=_PROBE_ID, checked_at=utcnow()))
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(
            f"the database did not take a write ({type(exc).__name__})"
        ) from None
