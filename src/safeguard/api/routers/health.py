"""Liveness and readiness, for load balancers and orchestrators: no API key needed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from safeguard import __version__
from safeguard.api.openapi import problem_responses
from safeguard.api.schemas import HealthOut, ReadyOut
from safeguard.api.state import AppState, app_state
from safeguard.config import Role
from safeguard.store.health import probe_database

router = APIRouter(tags=["health"])


@router.get("/v1/health", responses=problem_responses(503))
async def health(state: Annotated[AppState, Depends(app_state)]) -> HealthOut:
    """``{"status": "ok"}`` when the database answers and takes writes; 503 problem with
    ``Retry-After`` otherwise (a read-only or unreachable database cannot record
    screenings, so the service is not ready)."""
    await run_in_threadpool(probe_database, state.db)
    return HealthOut(status="ok", version=__version__, index=state.screener.matcher.size())


@router.get("/v1/ready", responses=problem_responses(503))
async def ready(state: Annotated[AppState, Depends(app_state)]) -> ReadyOut:
    """``{"status": "ready"}`` when this process can serve: the database takes writes and,
    in a process of the ``api`` role, the in-memory index has applied every change logged
    before this request; 503 problem with ``Retry-After`` otherwise, so that a load
    balancer sends its traffic elsewhere."""
    await run_in_threadpool(probe_database, state.db)
    if Role.API not in state.settings.roles:
        return ReadyOut(status="ready", change_seq=None, index={})
    matcher = state.screener.matcher
    seq = await run_in_threadpool(matcher.catch_up, state.db)
    return ReadyOut(status="ready", change_seq=seq, index=matcher.size())
