"""What the app holds for its lifetime, and the dependencies that hand it to routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from safeguard.api.metrics import Metrics
from safeguard.apikeys import authenticate
from safeguard.config import Settings
from safeguard.errors import Unauthorized
from safeguard.services import Services


class AppState(Services):
    """The services, and the metrics of this worker."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.metrics = Metrics(self.screener.matcher.size)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.safeguard
    return state


bearer = HTTPBearer(
    scheme_name="ApiKey",
    description=(
        "An API key made with `safeguard apikey create`, sent as a bearer token. It acts "
        "for the client that owns it: any of the client's keys reads the client's records."
    ),
    auto_error=False,
)
"""The API-key security scheme; ``require_client`` answers its problems itself."""


def require_client(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The name of the client owning the key in ``Authorization: Bearer <key>`` (not the
    key's own name: a client's records outlive any one of its keys)."""
    if credentials is None:
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    return authenticate(app_state(request).db, credentials.credentials)
