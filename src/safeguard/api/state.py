"""What the app holds for its lifetime, and the dependencies that hand it to routes."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from safeguard.api.metrics import Metrics
from safeguard.apikeys import authenticate
from safeguard.config import Settings
from safeguard.conversations.service import ConversationService
from safeguard.errors import Unauthorized
from safeguard.media.decode import DecodeLimits
from safeguard.screening.service import Screener
from safeguard.store.db import Database


@dataclass
class AppState:
    settings: Settings
    db: Database
    screener: Screener
    metrics: Metrics
    conversations: ConversationService

    @property
    def limits(self) -> DecodeLimits:
        return DecodeLimits.from_settings(self.settings)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.safeguard
    return state


def require_client(request: Request) -> str:
    """The calling client's name, from ``Authorization: Bearer <key>``."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    with app_state(request).db.read_session() as session:
        return authenticate(session, key.strip())
