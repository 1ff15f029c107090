"""The API's OpenAPI description: problem answers, and the self-hosted docs page.

Problem answers are described with the ``Problem`` schema under the
``application/problem+json`` media type they are sent with. The docs page at ``/docs``
loads Swagger UI from the ``swagger-ui-bundle`` package, served by the service itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from safeguard.api.problems import MEDIA_TYPE

ASSETS = "/docs/assets"
_REF = "#/components/schemas/{model}"
_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing or invalid API key",
    403: "The API key lacks the scope this operation needs",
    404: "Not found",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "The API key is over its request rate; retry after the Retry-After header's seconds",
    502: "A platform's server failed; the platform retries the delivery",
    503: (
        "Database unavailable, or no answer within the request time limit; retry after "
        "the Retry-After header's seconds"
    ),
}
PROTECTED = (401, 403, 422, 429, 503)
"""What every operation that takes an API key may answer."""


class ProblemError(BaseModel):
    """One invalid part of a request."""

    loc: list[str] = Field(description="Where: e.g. ['body', 'signals'].")
    msg: str


class Problem(BaseModel):
    """An RFC 9457 problem: every error the API answers has this shape."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    errors: list[ProblemError] | None = Field(
        default=None, description="Validation errors only: each invalid part."
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for problem answers with these statuses."""
    schema = {"$ref": _REF.format(model=Problem.__name__)}
    return {
        status: {"description": _DESCRIPTIONS[status], "content": {MEDIA_TYPE: {"schema": schema}}}
        for status in statuses
    }


def upload_body(fields: dict[str, dict[str, Any]], *, file_required: bool = True) -> dict[str, Any]:
    """``openapi_extra`` for an operation taking an upload: a multipart ``file`` part
    (optional when other fields can stand in for it) with ``fields`` (name -> JSON
    schema), or the raw body."""
    multipart: dict[str, Any] = {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}} | fields,
    }
    if file_required:
        multipart["required"] = ["file"]
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": multipart},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }


def text_answer(media_type: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a 200 answer of text in ``media_type``."""
    return {200: {"content": {media_type: {"schema": {"type": "string"}}}}}


def _document_unreadable_bodies(spec: dict[str, Any]) -> None:
    """A JSON body that is not UTF-8 is refused with a 400 problem before any route runs:
    say so for every operation that takes one and answers problems."""
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            answers = operation.get("responses", {})
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body and any(
                MEDIA_TYPE in answer.get("content", {}) for answer in answers.values()
            ):
                answers.setdefault("400", problem_responses(400)[400])


def install(app: FastAPI) -> None:
    """Add the Problem schema to ``app``'s OpenAPI and serve the docs page at /docs."""
    build = app.openapi
    problem = Problem.model_json_schema(ref_template=_REF)
    schemas = problem.pop("$defs") | {Problem.__name__: problem}

    def openapi() -> dict[str, Any]:
        spec = build()
        spec.setdefault("components", {}).setdefault("schemas", {}).update(schemas)
        _document_unreadable_bodies(spec)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + (app.openapi_url or ""),
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None},
        )
