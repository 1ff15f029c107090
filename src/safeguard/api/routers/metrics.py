"""Prometheus exposition."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from safeguard.api.openapi import problem_responses, text_answer
from safeguard.api.state import AppState, app_state, require_client

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    dependencies=[Depends(require_client)],
    responses=text_answer(CONTENT_TYPE_LATEST) | problem_responses(401, 503),
)
def metrics(state: Annotated[AppState, Depends(app_state)]) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
