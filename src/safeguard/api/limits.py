"""An ASGI wrapper that refuses request bodies over a byte cap, streamed or not."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeguard.api.problems import problem
from safeguard.errors import ContentTooLarge


class BodySizeLimit:
    """Reject bodies larger than ``max_bytes``: early by Content-Length, else while reading."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"the request body is over the limit of {self.max_bytes} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes:
                    response = problem(413, ContentTooLarge.slug, ContentTooLarge.title, message)
                    await response(scope, receive, send)
                    return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > self.max_bytes:
                    raise ContentTooLarge(message)
            return msg

        await self.app(scope, limited_receive, send)
