"""What the app holds for its lifetime, and the dependencies that hand it to routes.

Routes take the client a request acts for from ``ScreenClient`` or ``BanksClient``: the
bearer key must be valid (401 otherwise) and carry the scope (403 otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from safeguard.api.metrics import Metrics
from safeguard.api.rate_limit import KeyRateLimiter
from safeguard.apikeys import Caller, Scope, authenticate
from safeguard.config import Settings
from safeguard.errors import Forbidden, Unauthorized
from safeguard.services import Services


class AppState(Services):
    """The services, and the metrics of this worker."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.metrics = Metrics(self.screener.matcher.size)
        self.rate_limiter = KeyRateLimiter(settings.key_requests_per_second, settings.key_burst)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.safeguard
    return state


bearer = HTTPBearer(
    scheme_name="ApiKey",
    description=(
        "An API key made with `safeguard apikey create`, sent as a bearer token. It acts "
        "for the client that owns it: any of the client's keys reads the client's records. "
        "A key carries scopes: `screen` for screening, lookups, screenings, conversations "
        "and review items; `banks` for everything under /v1/banks; `admin` for keys, users "
        "and settings. A valid key without the scope an operation needs is answered 403."
    ),
    auto_error=False,
)
"""The API-key security scheme; ``require_caller`` answers its problems itself."""


def require_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """Who sent the key in ``Authorization: Bearer <key>``: its client, its name and its
    scopes. FastAPI runs it once per request, however many dependencies need it."""
    if credentials is None:
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    return admitted_caller(request, credentials.credentials)


def admitted_caller(request: Request, key: str) -> Caller:
    """Who ``key`` belongs to (401 if nobody), once the key is within its request rate
    (429 otherwise)."""
    state = app_state(request)
    caller = authenticate(state.db, key)
    state.rate_limiter.admit(caller.client, caller.key_name)
    return caller


def require_client(caller: Annotated[Caller, Depends(require_caller)]) -> str:
    """The name of the client owning the key, whatever its scopes (not the key's own
    name: a client's records outlive any one of its keys)."""
    return caller.client


def _scope_dependency(scope: Scope) -> Callable[[Caller], str]:
    """A dependency answering the client of a key that carries ``scope``; 403 for a
    valid key without it."""

    def require(caller: Annotated[Caller, Depends(require_caller)]) -> str:
        if not caller.allows(scope):
            raise Forbidden(f"this API key lacks the {scope.value!r} scope")
        return caller.client

    require.__name__ = f"require_{scope.value}_scope"
    require.__doc__ = f"The client of a key carrying the {scope.value!r} scope."
    return require


_SCOPE_DEPENDENCIES = {scope: _scope_dependency(scope) for scope in Scope}
"""One dependency per scope, made once: FastAPI runs a dependency once per request only
when it is the same callable."""


def require_scope(scope: Scope) -> Callable[[Caller], str]:
    """The dependency answering the client of a key that carries ``scope`` (always the
    same callable for the same scope)."""
    return _SCOPE_DEPENDENCIES[scope]


ScreenClient = Annotated[str, Depends(require_scope(Scope.SCREEN))]
"""The client of a key that may screen (and read what screening made)."""
BanksClient = Annotated[str, Depends(require_scope(Scope.BANKS))]
"""The client of a key that may manage the banks."""
AdminClient = Annotated[str, Depends(require_scope(Scope.ADMIN))]
"""The client of a key that may manage keys, users, webhooks and providers."""
