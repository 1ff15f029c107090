"""Rendering the UI's pages (Jinja2, autoescaped), and the two ways a request ends early:
``LoginRequired`` (a redirect to the login page) and ``PageError`` (an error page)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from safeguard.api.state import app_state
from safeguard.errors import SafeguardError
from safeguard.moderation.people import Role
from safeguard.moderation.ui_sessions import SessionView
from safeguard.web import present
from safeguard.web.security import SESSION_COOKIE, clear_cookie, ui_base

_templates = Environment(
    loader=PackageLoader("safeguard.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters.update(when=present.when, iso=present.iso)
_templates.globals.update(Role=Role)


class LoginRequired(Exception):
    """The request needs a session it does not have: answered by a redirect to login."""


class PageError(Exception):
    """A request the UI refuses with an error page."""

    def __init__(
        self, status: int, heading: str, message: str, staff: SessionView | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.heading = heading
        self.message = message
        self.staff = staff


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    staff: SessionView | None = None,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` for ``staff`` (None: nobody is logged in)."""
    html = _templates.get_template(template).render(
        base=ui_base(request), staff=staff, present=present, **context
    )
    return HTMLResponse(html, status_code=status)


_REFUSALS = {400: "Not done", 403: "Not allowed", 404: "Not found", 409: "Not done"}


def refused(exc: SafeguardError, staff: SessionView) -> PageError:
    """A service's refusal as the page that explains it (400 for what is not a 403, 404
    or 409)."""
    status = exc.status if exc.status in _REFUSALS else 400
    return PageError(status, _REFUSALS[status], exc.detail, staff)


def redirect(request: Request, path: str) -> RedirectResponse:
    """303 See Other to ``path`` under /ui: after a form, the browser GETs it."""
    return RedirectResponse(ui_base(request) + path, status_code=303)


def install_handlers(app: FastAPI) -> None:
    """Answer ``LoginRequired`` and ``PageError`` as the UI does."""

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        response = redirect(request, "/login")
        if SESSION_COOKIE in request.cookies:  # expired or ended: the browser may forget it
            secure = app_state(request).settings.secure_cookies
            clear_cookie(response, request, SESSION_COOKIE, secure=secure)
        return response

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return render(
            request,
            "error.html",
            status=exc.status,
            staff=exc.staff,
            heading=exc.heading,
            message=exc.message,
        )
