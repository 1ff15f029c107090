"""The users of the UI, for admins (managed with ``safeguard user ...`` for now)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from safeguard.api.state import app_state
from safeguard.moderation.people import list_users
from safeguard.web.auth import Admin
from safeguard.web.pages import render

router = APIRouter()


@router.get("/users")
def users(request: Request, staff: Admin) -> Response:
    """Every user, disabled or not, with their role."""
    return render(request, "users.html", staff=staff, users=list_users(app_state(request).db))
