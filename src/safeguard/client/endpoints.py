"""Every operation of the API, as the methods ``Client`` and ``AsyncClient`` share."""

from __future__ import annotations

from safeguard.client.accounts import AccountEndpoints
from safeguard.client.admin import AdminEndpoints
from safeguard.client.banks import BankEndpoints
from safeguard.client.calls import Endpoint, operations
from safeguard.client.conversations import ConversationEndpoints
from safeguard.client.moderation import ModerationEndpoints
from safeguard.client.screening import ScreeningEndpoints
from safeguard.client.service import ServiceEndpoints


class Endpoints(
    ScreeningEndpoints,
    BankEndpoints,
    ModerationEndpoints,
    ConversationEndpoints,
    AccountEndpoints,
    AdminEndpoints,
    ServiceEndpoints,
):
    """The API's operations, one method each."""


ENDPOINTS: dict[str, Endpoint] = operations(Endpoints)
"""Method name to its endpoint (HTTP method, path, idempotent)."""
