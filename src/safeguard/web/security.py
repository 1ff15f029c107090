"""What keeps the UI's pages private and its forms genuine: headers, cookies, CSRF tokens.

Every answer under /ui carries headers that keep it out of caches, frames and referrers
and allow only the UI's own stylesheet and scripts (``SecurityHeaders``). Cookies are
HttpOnly, SameSite=Strict, limited to /ui and, with ``SAFEGUARD_SECURE_COOKIES``, sent
over HTTPS only. Forms carry a CSRF token compared in constant time: the login form the
one in its own cookie (double submit), every other form its session's.
"""

from __future__ import annotations

import hmac
import re
import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/ui"
SESSION_COOKIE = "safeguard_session"
LOGIN_CSRF_COOKIE = "safeguard_login_csrf"
FORGED = "The form has expired or was forged; reload and try again."

HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)


class SecurityHeaders:
    """Adds ``HEADERS`` to every answer under /ui: pages, redirects, errors, static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _under_ui(scope):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _under_ui(scope: Scope) -> bool:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path == PREFIX or path.startswith(PREFIX + "/")


def ui_base(request: Request) -> str:
    """The UI's URL path, behind whatever root path the app is served under."""
    return str(request.scope.get("root_path", "")) + PREFIX


def new_token() -> str:
    return secrets.token_urlsafe(32)


def is_token(value: str | None) -> bool:
    """Whether ``value`` has the shape of a token ``new_token`` makes."""
    return value is not None and _TOKEN.fullmatch(value) is not None


def tokens_match(sent: str | None, expected: str | None) -> bool:
    """Whether a form's token is the expected one (both present; constant time)."""
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))


def set_cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    *,
    secure: bool,
    max_age: int | None = None,
) -> None:
    """Set a UI cookie: HttpOnly, SameSite=Strict, for /ui only."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=ui_base(request),
        secure=secure,
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, request: Request, name: str, *, secure: bool) -> None:
    response.delete_cookie(
        name, path=ui_base(request), secure=secure, httponly=True, samesite="strict"
    )
