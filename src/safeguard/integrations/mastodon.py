"""Mastodon's admin webhooks: signatures, status payloads, and reports filed back.

Mastodon signs each delivery with ``X-Hub-Signature: sha256=<hex HMAC-SHA256(secret,
body)>`` and sends ``{"event", "created_at", "object"}``, the object of ``status.*``
events being the status as its REST API shows it (``id``, ``url``, ``account.id``,
``media_attachments[].id`` and ``.url``). A report is filed with ``POST /api/v1/reports``
(``account_id``, ``status_ids[]``, ``comment``, ``category``) by the account whose token
Safeguard holds (scope ``write:reports``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from safeguard import events
from safeguard.errors import BadRequest, InvalidSignature, SafeguardError
from safeguard.events import PlatformReportFiled
from safeguard.store.db import Database
from safeguard.store.models import AuditEvent, utcnow

SIGNATURE_HEADER = "X-Hub-Signature"
STATUS_EVENTS = ("status.created", "status.updated")
REDELIVERY_WINDOW = timedelta(days=7)
"""How long after a report a delivery about the same status is taken as a redelivery:
Mastodon retries a failed delivery for about two days."""
MAX_COMMENT = 1000  # Mastodon's limit on a report's comment


class UpstreamFailed(SafeguardError):
    """The platform could not be reached or refused a request; Mastodon retries the
    delivery later."""

    slug = "upstream-failed"
    title = "The platform's server failed"
    status = 502


@dataclass(frozen=True)
class Attachment:
    """A media attachment: its id and the URL of its file."""

    id: str
    url: str


@dataclass(frozen=True)
class StatusEvent:
    """A ``status.created`` or ``status.updated`` delivery: the status and its media."""

    event: str
    status_id: str
    account_id: str
    attachments: tuple[Attachment, ...]

    @property
    def subject(self) -> str:
        """The status as the audit log names it."""
        return f"mastodon:status:{self.status_id}"


def verify(secret: str, body: bytes, header: str) -> None:
    """Raise ``InvalidSignature`` unless ``header`` signs ``body`` with ``secret``."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), header.strip().encode()):
        raise InvalidSignature(f"the {SIGNATURE_HEADER} header does not sign this body")


def event_name(body: bytes) -> str:
    """The delivery's ``event`` (``BadRequest`` if the body is no such JSON object)."""
    document = _json(body)
    name = document.get("event")
    if not isinstance(name, str):
        raise BadRequest("a webhook delivery needs an 'event'")
    return name


def parse_status(body: bytes) -> StatusEvent:
    """The status and media of a ``status.*`` delivery (``BadRequest`` if malformed)."""
    document = _json(body)
    status = document.get("object")
    if not isinstance(status, dict):
        raise BadRequest("a status event needs an 'object'")
    account = status.get("account")
    media = status.get("media_attachments") or []
    if not isinstance(account, dict) or not isinstance(media, list):
        raise BadRequest("a status needs an 'account' and a list of 'media_attachments'")
    attachments = tuple(
        Attachment(_id(item.get("id")), str(item["url"]))
        for item in media
        if isinstance(item, dict) and isinstance(item.get("url"), str)
    )
    return StatusEvent(event_name(body), _id(status.get("id")), _id(account.get("id")), attachments)


def media_allowed(url: str, server_url: str, media_hosts: tuple[str, ...]) -> bool:
    """Whether ``url`` is on the Mastodon server or one of its media hosts, over http(s)."""
    parts = urlsplit(url)
    hosts = {(urlsplit(server_url).netloc or "").lower(), *media_hosts}
    return parts.scheme in ("http", "https") and parts.netloc.lower() in hosts


def report_comment(decisions: list[str], screening_ids: list[str]) -> str:
    """What the report says: Safeguard's decision and the screenings to look up."""
    worst = "block" if "block" in decisions else "review"
    comment = (
        f"Safeguard: media of this status matched a hash list ({worst}). "
        f"Screenings: {', '.join(screening_ids)}"
    )
    return comment[:MAX_COMMENT]


async def file_report(
    server_url: str,
    token: str,
    status: StatusEvent,
    comment: str,
    category: str,
    seconds: float,
) -> str:
    """File a report on the status's account and the status; its Mastodon id."""
    form = {
        "account_id": status.account_id,
        "status_ids[]": status.status_id,
        "comment": comment,
        "category": category,
        "forward": "false",
    }
    try:
        async with httpx.AsyncClient(timeout=seconds, follow_redirects=False) as client:
            response = await client.post(
                f"{server_url}/api/v1/reports",
                data=form,
                headers={"Authorization": f"Bearer {token}"},
            )
    except httpx.HTTPError as exc:
        raise UpstreamFailed(f"Mastodon could not be reached ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise UpstreamFailed(f"Mastodon refused the report ({response.status_code})")
    try:
        return _id(response.json().get("id"))
    except (ValueError, AttributeError, BadRequest):
        raise UpstreamFailed("Mastodon answered the report without its id") from None


def filed_report(db: Database, client: str, subject: str) -> str | None:
    """The id of the report filed about ``subject`` within the redelivery window, if any."""
    query = (
        select(AuditEvent.details)
        .where(AuditEvent.at >= utcnow() - REDELIVERY_WINDOW)
        .where(AuditEvent.action == PlatformReportFiled.kind)
        .where(AuditEvent.client == client, AuditEvent.subject == subject)
        .limit(1)
    )
    with db.read_session() as session:
        details = session.scalar(query)
    return str(details["report_id"]) if details else None


def record_report(
    db: Database, client: str, subject: str, report_id: str, screening_ids: list[str]
) -> None:
    """Log the report, which makes later deliveries about ``subject`` redeliveries."""
    with db.session() as session:
        events.record(session, PlatformReportFiled(client, subject, report_id, screening_ids))


def _json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the webhook body is not JSON") from None
    if not isinstance(document, dict):
        raise BadRequest("the webhook body is not a JSON object")
    return document


def _id(value: object) -> str:
    """A Mastodon id: digits (sent as a string), at most 64 characters."""
    text = str(value) if isinstance(value, str | int) else ""
    if not text.isdigit() or len(text) > 64:
        raise BadRequest("Mastodon ids are strings of digits")
    return text
