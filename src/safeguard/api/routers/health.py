"""Liveness and readiness: the only route that needs no API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from safeguard import __version__
from safeguard.api.openapi import problem_responses
from safeguard.api.schemas import HealthOut
from safeguard.api.state import AppState, app_state
from safeguard.store.health import probe_database

router = APIRouter(tags=["health"])


@router.get("/v1/health", responses=problem_responses(503))
async def health(state: Annotated[AppState, Depends(app_state)]) -> HealthOut:
    """``{"status": "ok"}`` when the database answers and takes writes; 503 problem with
    ``Retry-After`` otherwise (a read-only or unreachable database cannot record
    screenings, so the service is not ready)."""
    await run_in_threadpool(probe_database, state.db)
    return HealthOut(status="ok", version=__version__, index=state.screener.matcher.size())
