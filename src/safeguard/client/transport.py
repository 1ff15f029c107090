"""What the sync and async clients share: the service's address and key, the retry
policy, how a request is built and how its answer is read."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic, TypeVar
from urllib.parse import quote

import httpx

from safeguard.client.calls import Call, Endpoint, T
from safeguard.client.errors import error_for
from safeguard.client.retries import Outcome, RetryPolicy

H = TypeVar("H", httpx.Client, httpx.AsyncClient)
X = TypeVar("X", httpx.BaseTransport, httpx.AsyncBaseTransport)
DEFAULT_TIMEOUT = 30.0
USER_AGENT = "safeguard-client"


class ClientBase(ABC, Generic[H, X]):
    """A Safeguard service at ``base_url``, called with ``api_key`` (sent as
    ``Authorization: Bearer``), over an httpx client ``H`` with transports ``X``.

    Give ``http_client`` to use your own httpx client (its connection pool, proxies,
    certificates; it is used as it is and not closed here), or ``transport`` for the one
    made here. ``retry`` says when a failed request is tried again (``RetryPolicy``).
    """

    api_key: str | None

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        http_client: H | None = None,
        transport: X | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.retry = retry or RetryPolicy()
        self._owns_http = http_client is None
        self._http: H = http_client or self._open(timeout, transport)
        self._headers = {"User-Agent": USER_AGENT}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"

    @abstractmethod
    def _open(self, timeout: float | httpx.Timeout, transport: X | None) -> H:
        """A new httpx client, closed with this one."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"

    def _request(self, endpoint: Endpoint, call: Call[T]) -> httpx.Request:
        """The httpx request for one attempt (built anew for each: an upload's file is
        read again from its start)."""
        path = endpoint.path.format_map({k: quote(str(v), safe="") for k, v in call.path.items()})
        return self._http.build_request(
            endpoint.method,
            self.base_url + path,
            params=call.params,
            json=call.json,
            content=call.content,
            files=call.files,
            headers=self._headers | dict(call.headers),
        )


def answer(outcome: Outcome, call: Call[T]) -> T:
    """The answer read by ``call``, or the failure raised: a transport error as is, an
    error answer as a ``SafeguardError`` of its status."""
    if isinstance(outcome, httpx.TransportError):
        raise outcome
    if outcome.is_success:
        return call.read(outcome)
    raise error_for(outcome)
