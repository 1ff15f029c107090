"""Who a UI request is from: the session in its cookie, never an API key.

``Staff`` is the session of a signed-in user (else a redirect to the login page);
``PostingStaff`` also checks the form's ``csrf_token`` against the session's (else 403);
``require_role`` refuses users whose role does not include the one a page needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Form, Request

from safeguard.api.state import app_state
from safeguard.moderation.people import Role
from safeguard.moderation.ui_sessions import SessionView, session_of
from safeguard.web.pages import LoginRequired, PageError
from safeguard.web.security import FORGED, SESSION_COOKIE, tokens_match


def current_session(request: Request) -> SessionView | None:
    """The session in the request's cookie, if it is valid; an ``Authorization`` header
    is never looked at."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return session_of(app_state(request).db, token)


def signed_in(request: Request) -> SessionView:
    """The request's session; LoginRequired without a valid one."""
    session = current_session(request)
    if session is None:
        raise LoginRequired()
    return session


Staff = Annotated[SessionView, Depends(signed_in)]


def posting(staff: Staff, csrf_token: Annotated[str, Form()] = "") -> SessionView:
    """The session of a form post that carries the session's CSRF token; 403 otherwise,
    before anything else happens."""
    if not tokens_match(csrf_token, staff.csrf_token):
        raise PageError(403, "Form refused", FORGED, staff)
    return staff


PostingStaff = Annotated[SessionView, Depends(posting)]


def _role_dependency(role: Role) -> Callable[[SessionView], SessionView]:
    def require(staff: Staff) -> SessionView:
        if not staff.user.role.includes(role):
            raise PageError(403, "Not allowed", f"This page needs the {role.value} role.", staff)
        return staff

    require.__name__ = f"require_{role.value}"
    return require


_ROLE_DEPENDENCIES = {role: _role_dependency(role) for role in Role}


def require_role(role: Role) -> Callable[[SessionView], SessionView]:
    """The dependency answering the session of a user whose role includes ``role``."""
    return _ROLE_DEPENDENCIES[role]


Admin = Annotated[SessionView, Depends(require_role(Role.ADMIN))]
