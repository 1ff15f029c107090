"""Error answers as exceptions: one class per common status, each carrying the problem.

The API answers every error as RFC 9457 problem+json (``type``, ``title``, ``status``,
``detail``, and for validation errors ``errors``). An answer in another shape (a proxy's
HTML page, an empty body) is read as a problem of type ``about:blank``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from safeguard.client.retries import retry_after

_MAX_DETAIL = 500


class SafeguardError(Exception):
    """An error answer of the API: its status, the problem's fields and the whole problem."""

    def __init__(
        self, status: int, problem: Mapping[str, Any], retry_after: float | None = None
    ) -> None:
        self.status = status
        self.problem = dict(problem)
        self.type = str(problem.get("type", "about:blank"))
        self.title = str(problem.get("title", ""))
        self.detail = str(problem.get("detail", ""))
        self.retry_after = retry_after
        """Seconds the answer's ``Retry-After`` asked to wait, if it had one."""
        super().__init__(f"{status} {self.title}: {self.detail}")


class InvalidRequest(SafeguardError):
    """400 or 422: the request is malformed or a value is invalid (``problem["errors"]``
    names each invalid part of a validation error)."""


class AuthError(SafeguardError):
    """401 or 403: the API key is missing, invalid, or lacks the scope."""


class Unauthorized(AuthError):
    """401: no API key, or an unknown or revoked one."""


class Forbidden(AuthError):
    """403: the API key lacks the scope the operation needs (or pict-rs refused an upload)."""


class NotFound(SafeguardError):
    """404: no such bank, entry, record or route (or another client's record)."""


class Conflict(SafeguardError):
    """409: the resource exists already, or is in a state that refuses the change."""


class ContentTooLarge(SafeguardError):
    """413: the body, the image's pixels or the video is over the service's caps."""


class UnsupportedMedia(SafeguardError):
    """415: the upload is no image or video the service decodes."""


class RateLimited(SafeguardError):
    """429: too many requests; ``retry_after`` says when to try again."""


class ServerError(SafeguardError):
    """5xx: the service failed; retrying later may succeed."""


class ServiceUnavailable(ServerError):
    """503: the database is unavailable or the service is not ready; ``retry_after``
    says when to try again."""


_BY_STATUS: dict[int, type[SafeguardError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: ContentTooLarge,
    415: UnsupportedMedia,
    422: InvalidRequest,
    429: RateLimited,
    503: ServiceUnavailable,
}


def error_for(response: httpx.Response) -> SafeguardError:
    """The exception for an error answer, of the class of its status."""
    status = response.status_code
    fallback = ServerError if status >= 500 else SafeguardError
    cls = _BY_STATUS.get(status, fallback)
    return cls(status, _problem(response), retry_after(response))


def _problem(response: httpx.Response) -> dict[str, Any]:
    """The answer's problem object, or one made of its status and text."""
    if "json" in response.headers.get("content-type", ""):
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            return body
    reason = response.reason_phrase or "HTTP error"
    return {
        "type": "about:blank",
        "title": reason,
        "status": response.status_code,
        "detail": response.text[:_MAX_DETAIL].strip() or reason,
    }
