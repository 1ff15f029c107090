"""Typed errors. Each carries a stable problem type, an HTTP status and a one-line message.

The API renders them as RFC 9457 problem+json; the CLI prints the message and exits 2
for client errors (status < 500) and 1 otherwise.
"""

from __future__ import annotations

from typing import ClassVar

PROBLEM_BASE = "https://safeguard.dev/problems/"


class SafeguardError(Exception):
    """Base class: subclasses set ``slug``, ``title`` and ``status``."""

    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"
    status: ClassVar[int] = 500

    retry_after: int | None = None
    """Seconds after which a retry may succeed (sent as ``Retry-After``), if known."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(SafeguardError):
    slug = "bad-request"
    title = "Bad request"
    status = 400


class EmptyContent(BadRequest):
    slug = "empty-content"
    title = "Empty content"


class InvalidSignal(BadRequest):
    slug = "invalid-signal"
    title = "Invalid signal value"
    status = 422


class InvalidName(BadRequest):
    slug = "invalid-name"
    title = "Invalid name"
    status = 422


class InvalidList(BadRequest):
    slug = "invalid-list"
    title = "Invalid hash list"
    status = 422


class ConfigError(BadRequest):
    slug = "config-error"
    title = "Invalid configuration"


class InvalidMultipart(BadRequest):
    slug = "invalid-multipart"
    title = "Invalid multipart body"


class ContentTooLarge(SafeguardError):
    slug = "content-too-large"
    title = "Content too large"
    status = 413


class ImageTooLarge(SafeguardError):
    slug = "image-too-large"
    title = "Image too large"
    status = 413


class VideoTooLarge(SafeguardError):
    slug = "video-too-large"
    title = "Video over a duration, size or frame limit"
    status = 413


class UnsupportedMedia(SafeguardError):
    slug = "unsupported-media"
    title = "Unsupported media type"
    status = 415


class UndecodableMedia(SafeguardError):
    slug = "undecodable-media"
    title = "Media could not be decoded"
    status = 422


class NotFound(SafeguardError):
    slug = "not-found"
    title = "Not found"
    status = 404


class Conflict(SafeguardError):
    slug = "conflict"
    title = "Conflict"
    status = 409


class Unauthorized(SafeguardError):
    slug = "unauthorized"
    title = "Missing or invalid API key"
    status = 401


class InvalidSignature(SafeguardError):
    slug = "invalid-signature"
    title = "Missing, invalid or expired signature"
    status = 401


class Forbidden(SafeguardError):
    slug = "forbidden"
    title = "Not allowed"
    status = 403


class TooManyAttempts(SafeguardError):
    slug = "too-many-attempts"
    title = "Too many attempts"
    status = 429


class RateLimited(SafeguardError):
    """An API key over its request rate (``SAFEGUARD_KEY_REQUESTS_PER_SECOND``)."""

    slug = "rate-limited"
    title = "Too many requests"
    status = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class RequestTimeout(SafeguardError):
    """A request without an answer within ``SAFEGUARD_REQUEST_TIME_LIMIT_SECONDS``."""

    slug = "request-timeout"
    title = "The request took too long"
    status = 503


class LoginFailed(SafeguardError):
    """A user name and password that do not log in (never saying which one was wrong)."""

    slug = "login-failed"
    title = "Login failed"
    status = 401


class EvidenceKeyError(SafeguardError):
    """Evidence that does not decrypt: its key is not configured, or the key or the stored
    bytes are wrong. The operator's to fix, never the client's, hence 500."""

    slug = "evidence-key-error"
    title = "Evidence cannot be decrypted"
    status = 500


class DatabaseUnavailable(SafeguardError):
    slug = "database-unavailable"
    title = "Database unavailable"
    status = 503


class NotReady(SafeguardError):
    """A worker that cannot screen yet: its indexes are not loaded or not caught up."""

    slug = "not-ready"
    title = "Not ready"
    status = 503
