"""An ASGI wrapper that refuses request bodies over a byte cap, streamed or not."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeguard.api.problems import problem
from safeguard.errors import ContentTooLarge

UPLOAD_PATHS = frozenset({"/v1/screen", "/v1/integrations/pict-rs/validate"})
"""Where content is uploaded: videos may be larger than any other body."""


class BodySizeLimit:
    """Reject bodies larger than ``max_bytes`` (``upload_bytes`` on ``upload_paths``):
    early by Content-Length, else while reading."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_paths: frozenset[str] = frozenset(),
        upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_paths = upload_paths
        self.upload_bytes = max(upload_bytes, max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.upload_bytes if scope.get("path") in self.upload_paths else self.max_bytes
        message = f"the request body is over the limit of {cap} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > cap:
                    response = problem(413, ContentTooLarge.slug, ContentTooLarge.title, message)
                    await response(scope, receive, send)
                    return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > cap:
                    raise ContentTooLarge(message)
            return msg

        await self.app(scope, limited_receive, send)
