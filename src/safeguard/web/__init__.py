"""The moderator UI: server-rendered pages under /ui for people, not API clients.

A face like the API and the CLI: it calls the moderation and screening services and
renders their values with Jinja2 templates (``templates/``, autoescaped) and one
stylesheet (``static/``); it never reads the ORM models. Only the session cookie set at
login opens it; an API key does not.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from safeguard.web import decisions, login, media, reporting, review, users
from safeguard.web import transparency as transparency_pages
from safeguard.web.auth import current_session
from safeguard.web.pages import install_handlers, render
from safeguard.web.security import PREFIX, SecurityHeaders

STATIC = Path(__file__).parent / "static"


def _not_found(request: Request, path: str) -> Response:
    """Any other page under /ui."""
    return render(
        request,
        "error.html",
        status=404,
        staff=current_session(request),
        heading="Not found",
        message="There is no such page.",
    )


def install(app: FastAPI) -> None:
    """Serve the UI under /ui (left out of the OpenAPI description, which is the API's)."""
    router = APIRouter(prefix=PREFIX, include_in_schema=False)
    for module in (login, review, decisions, media, users, reporting):
        router.include_router(module.router)
    router.include_router(transparency_pages.router)
    router.add_api_route("/{path:path}", _not_found, methods=["GET"])
    install_handlers(app)
    app.mount(PREFIX + "/static", StaticFiles(directory=STATIC), name="ui-static")
    app.include_router(router)
    app.add_middleware(SecurityHeaders)
