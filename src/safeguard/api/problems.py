"""RFC 9457 problem+json responses for every error the API returns.

Errors never close the client's keep-alive connection and never put what a client sent
in the log: an unexpected error is logged by its type and stack only, and statement
parameters are kept out of database errors (``store/db.py``).
"""

from __future__ import annotations

import logging
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeguard.errors import PROBLEM_BASE, DatabaseUnavailable, SafeguardError

log = logging.getLogger("safeguard.api")

MEDIA_TYPE = "application/problem+json"
_HTTP_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
}
# Seconds a client should wait before retrying while the database is unavailable.
RETRY_AFTER_SECONDS = 5


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    extra: dict[str, object] | None = None,
    retry_after: int | None = None,
) -> JSONResponse:
    body: dict[str, object] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update(extra or {})
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    elif status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def is_unavailable(exc: BaseException) -> bool:
    """Whether a database error means the database cannot serve now (down, restarting,
    read-only, locked, out of connections), not that the request or the code is wrong."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def install(app: FastAPI) -> None:
    """Register handlers so that no error leaves the API in any other shape."""

    @app.exception_handler(SafeguardError)
    async def _safeguard(request: Request, exc: SafeguardError) -> JSONResponse:
        _count(request, exc.slug)
        return problem(exc.status, exc.slug, exc.title, exc.detail, retry_after=exc.retry_after)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        _count(request, "validation-error")
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}" if first["loc"] else str(first["msg"])
        return problem(422, "validation-error", "Invalid request", detail, {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = _HTTP_SLUGS.get(exc.status_code, "http-error")
        _count(request, slug)
        return problem(exc.status_code, slug, str(exc.detail), str(exc.detail))

    app.add_middleware(UnexpectedErrors)


class UnexpectedErrors:
    """Answers any error no handler took: 503 for an unavailable database, else 500.

    Starlette's own last-resort handler re-raises after answering, and the server then
    drops the connection; this one answers and keeps it. The log gets the error's type
    and stack, never its message (which may quote what the client sent).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = _unexpected(scope, exc)
            await response(scope, receive, send)


def _unexpected(scope: Scope, exc: Exception) -> JSONResponse:
    if is_unavailable(exc):
        _count_scope(scope, DatabaseUnavailable.slug)
        log.warning("database unavailable: %s", type(exc).__name__)
        return problem(
            503,
            DatabaseUnavailable.slug,
            DatabaseUnavailable.title,
            "the database is unavailable; retry later",
        )
    stack = "".join(traceback.format_tb(exc.__traceback__))
    log.error("internal error: %s\n%s", type(exc).__name__, stack)
    return problem(500, "internal-error", "Internal error", "an internal error occurred")


def _count(request: Request, slug: str) -> None:
    _count_scope(request.scope, slug)


def _count_scope(scope: Scope, slug: str) -> None:
    app = scope.get("app")
    state = getattr(getattr(app, "state", None), "safeguard", None)
    if state is not None:
        state.metrics.rejected.labels(problem=slug).inc()
