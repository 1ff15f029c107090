"""``Client``: the API over a blocking httpx client."""

from __future__ import annotations

import time
from types import TracebackType

import httpx

from safeguard.client.calls import Call, Endpoint, T
from safeguard.client.endpoints import Endpoints
from safeguard.client.retries import Outcome, Retrying
from safeguard.client.transport import ClientBase, answer


class Client(ClientBase[httpx.Client, httpx.BaseTransport], Endpoints):
    """The API over a blocking httpx client. Use it as a context manager, or call
    ``close``."""

    def _open(
        self, timeout: float | httpx.Timeout, transport: httpx.BaseTransport | None
    ) -> httpx.Client:
        return httpx.Client(timeout=timeout, transport=transport)

    def close(self) -> None:
        """Close the httpx client made here (not one given)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _send(self, endpoint: Endpoint, call: Call[T]) -> T:
        retrying = Retrying(self.retry, endpoint.idempotent)
        while (delay := retrying.after(outcome := self._attempt(endpoint, call))) is not None:
            time.sleep(delay)
        return answer(outcome, call)

    def _attempt(self, endpoint: Endpoint, call: Call[T]) -> Outcome:
        try:
            return self._http.send(self._request(endpoint, call))
        except httpx.TransportError as exc:
            return exc
