"""Logging in and out of the UI.

The login form is protected from cross-site posts by a double submit: a random token in
the ``safeguard_login_csrf`` cookie and the same in a hidden field; a post without both,
or with two different ones, is refused before any password is checked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from safeguard.api.state import app_state
from safeguard.errors import LoginFailed, TooManyAttempts
from safeguard.moderation import people, ui_sessions
from safeguard.web.auth import PostingStaff, current_session
from safeguard.web.pages import PageError, redirect, render
from safeguard.web.security import (
    FORGED,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    is_token,
    new_token,
    set_cookie,
    tokens_match,
)

router = APIRouter()
FormField = Annotated[str, Form()]


def _login_page(
    request: Request, token: str, *, status: int = 200, name: str = "", error: str | None = None
) -> Response:
    response = render(
        request, "login.html", status=status, csrf_token=token, name=name, error=error
    )
    secure = app_state(request).settings.secure_cookies
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, secure=secure)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    """The login form; a signed-in user goes straight to the queue."""
    if current_session(request) is not None:
        return redirect(request, "/")
    token = request.cookies.get(LOGIN_CSRF_COOKIE)
    return _login_page(request, token if token and is_token(token) else new_token())


@router.post("/login")
def log_in(
    request: Request,
    username: FormField = "",
    password: FormField = "",
    csrf_token: FormField = "",
) -> Response:
    """Check the form's token, then the name and password; on success open a session
    and go to the queue, else show the form again with why (401, or 429 when throttled)."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not tokens_match(csrf_token, expected):
        raise PageError(403, "Form refused", FORGED)
    state = app_state(request)
    settings = state.settings
    address = request.client.host if request.client else "unknown"
    try:
        user = people.log_in(
            state.db, username, password, address, people.Throttle.from_settings(settings)
        )
    except TooManyAttempts as exc:
        response = _login_page(request, csrf_token, status=429, name=username, error=exc.detail)
        response.headers["Retry-After"] = str(settings.login_window_minutes * 60)
        return response
    except LoginFailed as exc:
        return _login_page(request, csrf_token, status=401, name=username, error=exc.detail)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # a new login never keeps an old session alive
        ui_sessions.close_session(state.db, previous)
    token, _ = ui_sessions.open_session(state.db, user, settings.session_hours)
    response = redirect(request, "/")
    secure = settings.secure_cookies
    set_cookie(
        response,
        request,
        SESSION_COOKIE,
        token,
        secure=secure,
        max_age=settings.session_hours * 3600,
    )
    clear_cookie(response, request, LOGIN_CSRF_COOKIE, secure=secure)
    return response


@router.post("/logout")
def log_out(request: Request, staff: PostingStaff) -> Response:
    """End the session (the form must carry its CSRF token) and go to the login page."""
    state = app_state(request)
    ui_sessions.close_session(state.db, request.cookies.get(SESSION_COOKIE, ""))
    response = redirect(request, "/login")
    clear_cookie(response, request, SESSION_COOKIE, secure=state.settings.secure_cookies)
    return response
