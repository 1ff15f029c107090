"""RFC 9457 problem+json responses for every error the API returns."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from safeguard.errors import PROBLEM_BASE, SafeguardError

log = logging.getLogger("safeguard.api")

MEDIA_TYPE = "application/problem+json"
_HTTP_SLUGS = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized"}


def problem(
    status: int, slug: str, title: str, detail: str, extra: dict[str, object] | None = None
) -> JSONResponse:
    body: dict[str, object] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update(extra or {})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    """Register handlers so that no error leaves the API in any other shape."""

    @app.exception_handler(SafeguardError)
    async def _safeguard(request: Request, exc: SafeguardError) -> JSONResponse:
        _count(request, exc.slug)
        return problem(exc.status, exc.slug, exc.title, exc.detail)

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
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = _HTTP_SLUGS.get(exc.status_code, "http-error")
        return problem(exc.status_code, slug, str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error: %s", type(exc).__name__, exc_info=exc)
        return problem(500, "internal-error", "Internal error", "an internal error occurred")


def _count(request: Request, slug: str) -> None:
    state = getattr(request.app.state, "safeguard", None)
    if state is not None:
        state.metrics.rejected.labels(problem=slug).inc()
