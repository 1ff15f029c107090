"""Reports to the UK National Crime Agency (Online Safety Act 2023 s.66; the Online Safety
(CSEA Content Reporting) Regulations 2026, SI 2026/268).

A report is one JSON document holding what the regulations name: the provider's details
and a contact, the date and time, the reported user's identifiers, IP addresses and
ports, each item of content's hashes (MD5, SHA-1, SHA-256, PDQ, ...), URLs and EXIF where
present, and the provider's declaration that the report is true and complete to the best
of its knowledge. The document is validated against ``NcaReport`` (its JSON schema is
``NCA_SCHEMA``, printed in docs/reporting.md) when built and again before it is sent.

The NCA takes no files (``sends_files`` False): the content stays in the evidence vault,
under legal hold, for the NCA to ask for. ``submit`` POSTs the document to the configured
endpoint with the bearer token and reads the report id from the answer; ``finish`` has
nothing left to do; ``retract`` POSTs a withdrawal to ``<endpoint>/<id>/withdrawal``.

The endpoint defaults to a placeholder under ``.invalid`` in the test environment (a name
that never resolves), so nothing reaches the NCA until the platform configures the URL
and token it was given; the production environment has no default URL at all.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from safeguard.config import Settings
from safeguard.errors import BadRequest, ConfigError
from safeguard.reporting.adapter import AuthorityError, Case, CaseFile, Reply, retryable_status
from safeguard.reporting.authorities import provider_from_settings

TEST_URL = "https://reporting.test.nca.invalid/v1/reports"
"""The default endpoint of the test environment: a placeholder that never resolves."""
SCHEMA_NAME = "safeguard-nca-report/1"
DECLARATION = (
    "The provider declares that the information in this report is true and complete to "
    "the best of its knowledge and belief."
)
TIMEOUT_SECONDS = 30.0
_MAX_DETAIL = 500

Hex32 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Hex40 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{40}$")]
Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Instant = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NcaContact(_Strict):
    name: Short
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
    phone: Short | None = None


class NcaProvider(_Strict):
    name: Short
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    contact: NcaContact


class NcaIpAddress(_Strict):
    address: Annotated[str, StringConstraints(min_length=2, max_length=45)]
    port: Annotated[int, Field(ge=0, le=65535)] | None = None
    at: Instant
    event: Short


class NcaUser(_Strict):
    identifiers: Annotated[list[Short], Field(max_length=10)]
    ip_addresses: Annotated[list[NcaIpAddress], Field(max_length=100)]


class NcaHashes(_Strict):
    md5: Hex32
    sha1: Hex40
    sha256: Hex64
    pdq: Hex64 | None = None
    other: dict[Short, Text] = Field(default_factory=dict)


class NcaContent(_Strict):
    content_id: Short | None = None
    file_name: Short
    media_type: Short
    uploaded_at: Instant
    classification: Literal["A1", "A2", "B1", "B2"]
    annotations: Annotated[list[Short], Field(max_length=20)]
    hashes: NcaHashes
    urls: Annotated[list[Annotated[str, StringConstraints(max_length=2048)]], Field(max_length=10)]
    exif: dict[Short, Text] = Field(default_factory=dict)


class NcaIncident(_Strict):
    reference: Short
    occurred_at: Instant
    confirmed_at: Instant
    detection: Short
    summary: Text


class NcaDeclaration(_Strict):
    statement: Text
    true_and_complete: Literal[True]
    made_by: Short


class NcaReport(_Strict):
    """A report to the NCA, as sent (the regulations' fields; see the module's doc)."""

    schema_: Literal["safeguard-nca-report/1"] = Field(alias="schema")
    environment: Literal["test", "production"]
    provider: NcaProvider
    incident: NcaIncident
    users: Annotated[list[NcaUser], Field(max_length=10)]
    content: Annotated[list[NcaContent], Field(min_length=1, max_length=100)]
    declaration: NcaDeclaration


NCA_SCHEMA: dict[str, Any] = NcaReport.model_json_schema(by_alias=True)
"""The JSON schema every report is validated against."""


def validate_report(payload: str) -> NcaReport:
    """``payload`` parsed and checked against the schema; BadRequest naming the first
    problems (their places, never the values)."""
    try:
        return NcaReport.model_validate_json(payload)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise BadRequest(f"the NCA report is not valid: {problems}") from None


def _instant(at: datetime) -> str:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _content(file: CaseFile) -> dict[str, Any]:
    known = {"md5", "sha1", "sha256", "pdq"}
    other = {k: v for k, v in sorted(file.hashes.items()) if k not in known}
    hashes: dict[str, Any] = {"md5": file.md5, "sha1": file.sha1, "sha256": file.sha256}
    if file.hashes.get("pdq"):
        hashes["pdq"] = file.hashes["pdq"]
    hashes["other"] = other
    return {
        "file_name": file.file_name,
        "media_type": file.media_type,
        "uploaded_at": _instant(file.uploaded_at),
        "classification": file.classification,
        "annotations": list(file.annotations),
        "hashes": hashes,
        "urls": [file.url] if file.url else [],
        "exif": dict(sorted(file.exif.items())),
    }


def report_document(case: Case, environment: str) -> dict[str, Any]:
    """The report of ``case`` as a JSON object (not yet validated)."""
    provider = case.provider
    contact: dict[str, Any] = {"name": provider.contact_name, "email": provider.contact_email}
    if provider.contact_phone:
        contact["phone"] = provider.contact_phone
    content = [_content(f) for f in case.files]
    if case.content_id is not None:
        for item in content:
            item["content_id"] = case.content_id
    users = []
    if case.reported_user_id is not None or case.ip_events:
        users.append(
            {
                "identifiers": [case.reported_user_id] if case.reported_user_id else [],
                "ip_addresses": [
                    {"address": e.address, "port": e.port, "at": _instant(e.at), "event": e.event}
                    for e in case.ip_events
                ],
            }
        )
    return {
        "schema": SCHEMA_NAME,
        "environment": environment,
        "provider": {"name": provider.name, "country": provider.country, "contact": contact},
        "incident": {
            "reference": case.item_id,
            "occurred_at": _instant(case.incident_at),
            "confirmed_at": _instant(case.confirmed_at),
            "detection": "hash matching, confirmed by a trained moderator",
            "summary": case.summary,
        },
        "users": users,
        "content": content,
        "declaration": {
            "statement": DECLARATION,
            "true_and_complete": True,
            "made_by": provider.contact_name,
        },
    }


def _detail(response: httpx.Response) -> str:
    """A short description of an answer: its status and the start of its body."""
    body = response.text.strip().replace("\n", " ")
    return (
        f"HTTP {response.status_code}: {body[:_MAX_DETAIL]}"
        if body
        else f"HTTP {response.status_code}"
    )


class NcaAuthority:
    """The NCA's reporting interface (``Authority``); no files are sent."""

    name = "nca"
    sends_files = False

    def __init__(
        self,
        *,
        environment: str = "test",
        url: str | None = None,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if environment not in ("test", "production"):
            raise ConfigError(
                f"the NCA environment must be test or production, not {environment!r}"
            )
        if url is None and environment == "production":
            raise ConfigError("SAFEGUARD_NCA_URL is required in the NCA's production environment")
        if environment == "production" and not token:
            raise ConfigError("SAFEGUARD_NCA_TOKEN is required in the NCA's production environment")
        self.environment = environment
        self.url = (url or TEST_URL).rstrip("/")
        self._token = token
        self._transport = transport

    @classmethod
    def from_settings(cls, settings: Settings) -> NcaAuthority:
        provider_from_settings(settings)  # a report needs them: fail at start, not at send
        return cls(
            environment=settings.nca_environment, url=settings.nca_url, token=settings.nca_token
        )

    def __repr__(self) -> str:
        return f"NcaAuthority(environment={self.environment!r}, url={self.url!r})"

    def payload(self, case: Case) -> str:
        document = report_document(case, self.environment)
        text = json.dumps(document, indent=2, ensure_ascii=False)
        validate_report(text)
        return text

    def submit(self, payload: str) -> Reply:
        validate_report(payload)
        response = self._post("submit", self.url, payload.encode())
        try:
            answer = response.json()
        except ValueError:
            answer = None
        found = None
        if isinstance(answer, dict):
            found = next(
                (answer[k] for k in ("id", "report_id", "reference") if answer.get(k)), None
            )
        if not isinstance(found, str | int) or not 0 < len(str(found)) <= 128:
            raise AuthorityError(
                "submit",
                f"no report id in the answer ({_detail(response)})",
                response.status_code,
                retryable=False,
            )
        return Reply(response.status_code, _detail(response), str(found))

    def upload(self, report_id: str, file: CaseFile, content: bytes) -> Reply:
        raise AuthorityError("upload", "the NCA takes no files", retryable=False)

    def describe(self, report_id: str, file_id: str, file: CaseFile) -> Reply:
        raise AuthorityError("describe", "the NCA takes no files", retryable=False)

    def finish(self, report_id: str) -> Reply:
        return Reply(200, "nothing to do: the NCA's report is complete when submitted")

    def retract(self, report_id: str) -> Reply:
        body = json.dumps(
            {"reason": "withdrawn by the provider: the report could not be completed"}
        )
        response = self._post("retract", f"{self.url}/{report_id}/withdrawal", body.encode())
        return Reply(response.status_code, _detail(response))

    def _post(self, step: str, url: str, body: bytes) -> httpx.Response:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            with httpx.Client(timeout=TIMEOUT_SECONDS, transport=self._transport) as client:
                response = client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise AuthorityError(step, "timed out", retryable=True) from None
        except httpx.HTTPError as exc:
            raise AuthorityError(
                step, f"connection failed: {type(exc).__name__}", retryable=True
            ) from None
        if response.status_code >= 400:
            retry = retryable_status(response.status_code)
            raise AuthorityError(step, _detail(response), response.status_code, retryable=retry)
        return response
