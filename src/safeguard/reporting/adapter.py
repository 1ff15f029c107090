"""What every authority adapter offers, and the case a report is built from.

A report goes through the same steps for every authority: its payload is built from a
``Case`` and validated (the moderator confirms exactly that text), then submitted (the
authority answers with its report id), each file uploaded and described, and the report
finished; or retracted when a step fails for good. An authority that takes no files
(``sends_files`` False) finishes right after submitting. A further authority is one
module implementing ``Authority``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

CLASSIFICATIONS = ("A1", "A2", "B1", "B2")
"""The industry classification of a file (NCMEC's categorisation: A = prepubescent,
B = pubescent minor; 1 = sex act, 2 = lascivious exhibition)."""


@dataclass(frozen=True)
class Provider:
    """Who reports: the platform running Safeguard (from Settings)."""

    name: str
    contact_name: str
    contact_email: str
    contact_phone: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class IpEvent:
    """An IP address seen for the reported user, and when (e.g. the upload)."""

    address: str
    port: int | None
    at: datetime
    event: str = "Upload"


@dataclass(frozen=True)
class CaseFile:
    """A file of the case: facts only (its bytes are read from the vault when sent)."""

    evidence_id: str
    file_name: str
    media_type: str
    md5: str
    sha1: str
    sha256: str
    uploaded_at: datetime
    classification: str
    annotations: tuple[str, ...] = ()
    hashes: dict[str, str] = field(default_factory=dict)
    """Every signal value Safeguard computed (e.g. ``pdq``)."""
    exif: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    ip_event: IpEvent | None = None
    """Where the file was uploaded from, if the platform said."""


@dataclass(frozen=True)
class Case:
    """A confirmed review item, as authorities are told of it."""

    item_id: str
    incident_at: datetime
    provider: Provider
    reported_user_id: str | None
    content_id: str | None
    ip_events: tuple[IpEvent, ...]
    files: tuple[CaseFile, ...]
    moderator: str
    confirmed_at: datetime
    summary: str


@dataclass(frozen=True)
class Reply:
    """What an authority answered to one step: the HTTP status, a short description
    (no content), and the id it gave, if any (report id, file id)."""

    status_code: int
    detail: str
    value: str | None = None


def retryable_status(status: int) -> bool:
    """Whether an authority's HTTP answer is worth trying again: rate limiting and server
    errors are; other 4xx answers are final."""
    return status == 429 or status >= 500


class AuthorityError(Exception):
    """A step failed: ``retryable`` for timeouts, connection errors and 5xx answers (the
    step is tried again later); otherwise the report is retracted."""

    def __init__(
        self, step: str, detail: str, status_code: int | None = None, *, retryable: bool
    ) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail
        self.status_code = status_code
        self.retryable = retryable


class Authority(Protocol):
    """One authority's reporting interface, in its test or production environment."""

    name: str
    """Short and stable, e.g. ``ncmec``, ``nca``: stored with each report."""
    environment: str
    """``test`` or ``production``."""
    sends_files: bool

    def payload(self, case: Case) -> str:
        """The report's payload (XML, JSON, ...) for ``case``, validated against the
        authority's schema; BadRequest if the case cannot make a valid report."""
        ...

    def submit(self, payload: str) -> Reply:
        """Open the report; ``Reply.value`` is the authority's report id."""
        ...

    def upload(self, report_id: str, file: CaseFile, content: bytes) -> Reply:
        """Upload one file of the report; ``Reply.value`` is the authority's file id."""
        ...

    def describe(self, report_id: str, file_id: str, file: CaseFile) -> Reply:
        """Send the details of an uploaded file."""
        ...

    def finish(self, report_id: str) -> Reply:
        """Close the report: it is complete and sent."""
        ...

    def retract(self, report_id: str) -> Reply:
        """Withdraw an unfinished report."""
        ...
