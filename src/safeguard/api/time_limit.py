"""An ASGI wrapper that answers 503 when a request has no answer within a time limit.

The limit covers reading the body too, so a client trickling an upload cannot hold a
worker. Work is cancelled where it awaits; work already in a thread (a screening, an
import) runs to its own end, committing or rolling back whole, and its answer is dropped.
A response that has started (a long export streaming) is never cut.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeguard.api.problems import problem
from safeguard.errors import RequestTimeout


class RequestTimeLimit:
    """Answer ``RequestTimeout`` (503, Retry-After) for requests without a response
    started within ``seconds``; 0 means no limit."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        started = timed_out = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if timed_out and not started:
                return  # the answer came too late: the client has had its 503
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        done, _ = await asyncio.wait({task}, timeout=self.seconds)
        if task in done or started:
            await task
            return
        timed_out = True
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        detail = f"the request had no answer within {self.seconds:g} seconds"
        await problem(503, RequestTimeout.slug, RequestTimeout.title, detail)(scope, receive, send)
