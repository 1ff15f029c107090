"""Liveness and readiness: the only route that needs no API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from safeguard import __version__
from safeguard.api.state import AppState, app_state
from safeguard.errors import SafeguardError

router = APIRouter(tags=["health"])


class DatabaseUnavailable(SafeguardError):
    slug = "database-unavailable"
    title = "Database unavailable"
    status = 503


@router.get("/v1/health")
def health(state: Annotated[AppState, Depends(app_state)]) -> dict[str, object]:
    """``{"status": "ok"}`` when the database answers; 503 problem otherwise."""
    try:
        with state.db.session() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise DatabaseUnavailable("the database did not answer") from None
    return {"status": "ok", "version": __version__, "index": state.screener.matcher.size()}
