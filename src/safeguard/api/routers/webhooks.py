"""Webhook endpoints and their deliveries, for keys with the ``admin`` scope."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from safeguard.api.openapi import PROTECTED, problem_responses
from safeguard.api.schemas import (
    WebhookCreatedOut,
    WebhookDeliveryList,
    WebhookDeliveryOut,
    WebhookList,
    WebhookOut,
)
from safeguard.api.state import AdminClient, AppState, app_state
from safeguard.api.validation import Text
from safeguard.webhooks import service

router = APIRouter(tags=["webhooks"], responses=problem_responses(*PROTECTED))

EndpointId = Annotated[Text, Path(max_length=64)]


class WebhookIn(BaseModel):
    url: Text = Field(
        min_length=1,
        max_length=service.MAX_URL,
        description="Where events are POSTed: an http:// or https:// URL.",
    )
    events: list[Text] = Field(
        min_length=1,
        max_length=service.MAX_KINDS,
        description="Event kinds (e.g. review.decided), or ['*'] for every kind.",
    )


@router.post("/v1/webhooks", status_code=201, responses=problem_responses(400))
def create_webhook(
    body: WebhookIn, client: AdminClient, state: Annotated[AppState, Depends(app_state)]
) -> WebhookCreatedOut:
    """Register an endpoint; the answer holds its signing secret, shown this once. It gets
    the events logged from now on."""
    endpoint, secret = service.add_endpoint(state.db, body.url, body.events, client)
    return WebhookCreatedOut.model_validate(asdict(endpoint) | {"secret": secret})


@router.get("/v1/webhooks")
def list_webhooks(
    client: AdminClient, state: Annotated[AppState, Depends(app_state)]
) -> WebhookList:
    """Every endpoint, oldest first, disabled ones included."""
    endpoints = service.list_endpoints(state.db)
    return WebhookList(items=[WebhookOut.model_validate(e) for e in endpoints])


@router.delete("/v1/webhooks/{endpoint_id}", responses=problem_responses(404, 409))
def disable_webhook(
    endpoint_id: EndpointId, client: AdminClient, state: Annotated[AppState, Depends(app_state)]
) -> WebhookOut:
    """Disable an endpoint: nothing more is sent to it, its pending deliveries fail, and
    its history stays (409 if it already is disabled)."""
    return WebhookOut.model_validate(service.disable_endpoint(state.db, endpoint_id, client))


@router.get("/v1/webhooks/{endpoint_id}/deliveries", responses=problem_responses(404))
def list_deliveries(
    endpoint_id: EndpointId,
    client: AdminClient,
    state: Annotated[AppState, Depends(app_state)],
    limit: Annotated[int, Query(ge=1, le=service.MAX_DELIVERIES)] = service.DEFAULT_DELIVERIES,
) -> WebhookDeliveryList:
    """The endpoint's most recent deliveries, newest event first."""
    views = service.deliveries(state.db, endpoint_id, limit)
    return WebhookDeliveryList(items=[WebhookDeliveryOut.model_validate(v) for v in views])
