"""A typed Python client of the Safeguard API, blocking (``Client``) or asyncio
(``AsyncClient``), on httpx (docs/client.md).

It imports nothing of the service: a platform installs the package and calls a remote
Safeguard. Errors are ``SafeguardError`` subclasses carrying the problem+json answer;
failed requests are retried when that is safe (``RetryPolicy``).
"""

from safeguard.client.async_ import AsyncClient
from safeguard.client.endpoints import ENDPOINTS
from safeguard.client.errors import (
    AuthError,
    Conflict,
    ContentTooLarge,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    SafeguardError,
    ServerError,
    ServiceUnavailable,
    Unauthorized,
    UnsupportedMedia,
)
from safeguard.client.models import (
    Account,
    Appeal,
    Bank,
    Conversation,
    Entry,
    EntryPage,
    Health,
    ImageCheck,
    ImportResult,
    Item,
    Job,
    Match,
    MessageScore,
    PolicyAnswer,
    Ready,
    Report,
    ReportTarget,
    ReviewItem,
    Screening,
    ScreeningRecord,
    Signals,
    TransparencyReport,
    Webhook,
    WebhookCreated,
    WebhookDelivery,
)
from safeguard.client.retries import RetryPolicy
from safeguard.client.sync import Client

__all__ = [
    "ENDPOINTS",
    "Account",
    "Appeal",
    "AsyncClient",
    "AuthError",
    "Bank",
    "Client",
    "Conflict",
    "ContentTooLarge",
    "Conversation",
    "Entry",
    "EntryPage",
    "Forbidden",
    "Health",
    "ImageCheck",
    "ImportResult",
    "InvalidRequest",
    "Item",
    "Job",
    "Match",
    "MessageScore",
    "NotFound",
    "PolicyAnswer",
    "RateLimited",
    "Ready",
    "Report",
    "ReportTarget",
    "RetryPolicy",
    "ReviewItem",
    "SafeguardError",
    "Screening",
    "ScreeningRecord",
    "ServerError",
    "ServiceUnavailable",
    "Signals",
    "TransparencyReport",
    "Unauthorized",
    "UnsupportedMedia",
    "Webhook",
    "WebhookCreated",
    "WebhookDelivery",
]
