"""``AsyncClient``: the API over an asyncio httpx client; every method is awaited."""

from __future__ import annotations

import asyncio
from types import TracebackType

import httpx

from safeguard.client.calls import Call, Endpoint, T
from safeguard.client.endpoints import Endpoints
from safeguard.client.retries import Outcome, Retrying
from safeguard.client.transport import ClientBase, answer


class AsyncClient(ClientBase[httpx.AsyncClient, httpx.AsyncBaseTransport], Endpoints):
    """The asyncio twin of ``Client``, with the same methods and arguments, each
    awaited. Use it as an async context manager, or await ``aclose``."""

    def _open(
        self, timeout: float | httpx.Timeout, transport: httpx.AsyncBaseTransport | None
    ) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        """Close the httpx client made here (not one given)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _send(self, endpoint: Endpoint, call: Call[T]) -> T:
        retrying = Retrying(self.retry, endpoint.idempotent)
        while (delay := retrying.after(outcome := await self._attempt(endpoint, call))) is not None:
            await asyncio.sleep(delay)
        return answer(outcome, call)

    async def _attempt(self, endpoint: Endpoint, call: Call[T]) -> Outcome:
        try:
            return await self._http.send(self._request(endpoint, call))
        except httpx.TransportError as exc:
            return exc
