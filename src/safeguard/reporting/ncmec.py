"""NCMEC's CyberTipline Reporting API: the ``Authority`` for reports to NCMEC (US).

The documented flow: ``POST /submit`` opens a report from its XML and answers its report id;
``POST /upload`` sends one file (multipart ``id`` + ``file``) and answers its file id;
``POST /fileinfo`` sends that file's ``fileDetails`` XML; ``POST /finish`` closes the report
(NCMEC then processes it); ``POST /retract`` withdraws an unfinished one. ``GET /status``
checks the credentials. Every answer is a ``reportResponse`` whose ``responseCode`` is 0 on
success; authentication is HTTP Basic with the credentials of NCMEC's ESP registration.

Every XML payload is validated against ``ncmec.xsd`` before it is sent. The adapter talks to
NCMEC's test environment unless it is explicitly configured for production; without
credentials it is "not configured" and refuses to send anything (``ConfigError``).
File content never appears in an error or a log line.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import xmlschema

from safeguard.errors import BadRequest, ConfigError
from safeguard.reporting.adapter import (
    CLASSIFICATIONS,
    AuthorityError,
    Case,
    CaseFile,
    IpEvent,
    Reply,
    retryable_status,
)

if TYPE_CHECKING:
    from safeguard.config import Settings

log = logging.getLogger(__name__)

TEST_URL = "https://exttest.cybertip.org/ispws"
PRODUCTION_URL = "https://report.cybertip.org/ispws"
PRODUCTION_HOST = "report.cybertip.org"
ENVIRONMENT_URLS = {"test": TEST_URL, "production": PRODUCTION_URL}

INCIDENT_TYPE = "Child Pornography (possession, manufacture, and distribution)"
"""The incident type of every report Safeguard makes (apparent child sexual abuse
material found among uploads)."""

EVENT_NAMES = ("Login", "Registration", "Purchase", "Upload", "Other", "Unknown")

ANNOTATIONS = {
    "anime_drawing_virtual_hentai": "animeDrawingVirtualHentai",
    "potential_meme": "potentialMeme",
    "viral": "viral",
    "possible_self_production": "possibleSelfProduction",
    "physical_harm": "physicalHarm",
    "violence_gore": "violenceGore",
    "bestiality": "bestiality",
    "live_streaming": "liveStreaming",
    "infant": "infant",
    "generative_ai": "generativeAi",
}
"""``CaseFile.annotations`` (snake case, as Safeguard stores them; NCMEC's camel-case
element names are accepted too) and the fileAnnotations element each becomes."""

SCHEMA_PATH = Path(__file__).with_name("ncmec.xsd")
DEFAULT_TIMEOUT = 60.0
MAX_DETAIL = 200  # characters of NCMEC's responseDescription kept in a Reply or an error


@lru_cache(maxsize=1)
def schema() -> xmlschema.XMLSchema:
    """The schema every payload is validated against (read once)."""
    return xmlschema.XMLSchema(str(SCHEMA_PATH))


def validate(xml: str, root: str) -> None:
    """BadRequest, with a one-line reason, unless ``xml`` is a valid ``root`` document."""
    try:
        element = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise BadRequest(f"NCMEC {root}: not well-formed XML ({exc})") from None
    if element.tag != root:
        raise BadRequest(f"NCMEC {root}: the document is a <{element.tag}>")
    error = next(iter(schema().iter_errors(xml)), None)
    if error is not None:
        where = error.path or f"/{root}"
        reason = " ".join(str(error.reason or error.message).split())
        raise BadRequest(f"NCMEC {root} is invalid at {where}: {reason}")


def _utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``; a naive time is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(parent: ET.Element, tag: str, value: str | None) -> None:
    if value is not None:
        ET.SubElement(parent, tag).text = value


def _ip_event(parent: ET.Element, event: IpEvent) -> None:
    element = ET.SubElement(parent, "ipCaptureEvent")
    _text(element, "ipAddress", event.address)
    _text(element, "eventName", event.event)
    _text(element, "dateTime", _utc(event.at))
    if event.port is not None:
        _text(element, "port", str(event.port))


def _split_name(name: str) -> tuple[str | None, str | None]:
    parts = name.split()
    if not parts:
        return None, None
    if len(parts) == 1:
        return parts[0], None
    return " ".join(parts[:-1]), parts[-1]


def _xml(root: ET.Element) -> str:
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=False)


def report_xml(case: Case) -> str:
    """The report XML for ``case`` (not validated; ``NcmecAuthority.payload`` validates)."""
    report = ET.Element("report")
    summary = ET.SubElement(report, "incidentSummary")
    _text(summary, "incidentType", INCIDENT_TYPE)
    _text(summary, "incidentDateTime", _utc(case.incident_at))

    reporter = ET.SubElement(report, "reporter")
    person = ET.SubElement(reporter, "reportingPerson")
    first, last = _split_name(case.provider.contact_name)
    _text(person, "firstName", first)
    _text(person, "lastName", last)
    _text(person, "phone", case.provider.contact_phone)
    ET.SubElement(person, "email", type="Business").text = case.provider.contact_email

    if case.reported_user_id is not None or case.ip_events:
        reported = ET.SubElement(report, "personOrUserReported")
        _text(reported, "espIdentifier", case.reported_user_id)
        _text(reported, "espService", case.provider.name)
        for event in case.ip_events:
            _ip_event(reported, event)

    info = [case.summary.strip()] if case.summary.strip() else []
    info.append(f"Reported by {case.provider.name}: item {case.item_id}")
    if case.content_id is not None:
        info.append(f"content {case.content_id}")
    _text(report, "additionalInfo", "; ".join(info))
    return _xml(report)


def file_details_xml(report_id: str, file_id: str, file: CaseFile) -> str:
    """The fileDetails XML of an uploaded file (not validated)."""
    details = ET.Element("fileDetails")
    _text(details, "reportId", report_id)
    _text(details, "fileId", file_id)
    _text(details, "originalFileName", file.file_name)
    _text(details, "locationOfFile", file.url)
    if file.annotations:
        annotations = ET.SubElement(details, "fileAnnotations")
        for annotation in file.annotations:
            ET.SubElement(annotations, ANNOTATIONS.get(annotation, annotation))
    _text(details, "industryClassification", file.classification)
    for kind, value in (("MD5", file.md5), ("SHA1", file.sha1), ("SHA256", file.sha256)):
        if value:
            ET.SubElement(details, "originalFileHash", hashType=kind).text = value.lower()
    if file.ip_event is not None:
        _ip_event(details, file.ip_event)
    for name, value in sorted(file.hashes.items()):
        if name.lower() not in {"md5", "sha1", "sha256"}:
            _text(details, "additionalInfo", f"{name}: {value}")
    return _xml(details)


class NcmecAuthority:
    """The CyberTipline, in its test environment unless ``environment="production"``.

    ``base_url`` overrides the environment's URL (a local fake server in tests); a URL on
    NCMEC's production host is refused unless the environment is production. Without a
    username and password the authority is not ``configured``: building payloads works,
    every call to NCMEC raises ConfigError.
    """

    name = "ncmec"
    sends_files = True

    def __init__(
        self,
        *,
        username: str | None,
        password: str | None,
        environment: str = "test",
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if environment not in ENVIRONMENT_URLS:
            raise ConfigError(f"NCMEC environment must be test or production, got {environment!r}")
        url = (base_url or ENVIRONMENT_URLS[environment]).rstrip("/")
        if urlsplit(url).scheme not in {"http", "https"}:
            raise ConfigError(f"NCMEC URL must be http(s), got {url!r}")
        host = (urlsplit(url).hostname or "").lower()
        if environment != "production" and host == PRODUCTION_HOST:
            raise ConfigError("NCMEC's production URL needs SAFEGUARD_NCMEC_ENVIRONMENT=production")
        self.environment = environment
        self.base_url = url
        self.timeout = timeout
        self._username = username
        self._password = password
        self._transport = transport
        self._client: httpx.Client | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> NcmecAuthority:
        return cls(
            username=settings.ncmec_username,
            password=settings.ncmec_password,
            environment=settings.ncmec_environment,
            base_url=settings.ncmec_url,
        )

    def __repr__(self) -> str:
        return f"NcmecAuthority(environment={self.environment!r}, base_url={self.base_url!r})"

    @property
    def configured(self) -> bool:
        """Whether credentials are set (NCMEC can be called)."""
        return bool(self._username) and bool(self._password)

    # -- payloads ------------------------------------------------------------------------

    def payload(self, case: Case) -> str:
        for event in case.ip_events:
            if event.event not in EVENT_NAMES:
                raise BadRequest(
                    f"NCMEC report: IP event {event.event!r} is not one of {', '.join(EVENT_NAMES)}"
                )
        xml = report_xml(case)
        validate(xml, "report")
        return xml

    def file_details(self, report_id: str, file_id: str, file: CaseFile) -> str:
        """The validated fileDetails XML that ``describe`` sends."""
        if file.classification not in CLASSIFICATIONS:
            raise BadRequest(
                f"NCMEC fileDetails: classification {file.classification!r} is not one of "
                f"{', '.join(CLASSIFICATIONS)}"
            )
        xml = file_details_xml(report_id, file_id, file)
        validate(xml, "fileDetails")
        return xml

    # -- steps ---------------------------------------------------------------------------

    def status(self) -> Reply:
        """``GET /status``: whether NCMEC answers and accepts the credentials."""
        return self._call("status", "GET", "/status")

    def submit(self, payload: str) -> Reply:
        validate(payload, "report")
        reply = self._call("submit", "POST", "/submit", content=payload.encode("utf-8"))
        if not reply.value:
            raise AuthorityError(
                "submit", "NCMEC answered no reportId", reply.status_code, retryable=False
            )
        return reply

    def upload(self, report_id: str, file: CaseFile, content: bytes) -> Reply:
        reply = self._call(
            "upload",
            "POST",
            "/upload",
            data={"id": report_id},
            files={"file": (file.file_name, content, file.media_type)},
            value_tag="fileId",
        )
        if not reply.value:
            raise AuthorityError(
                "upload", "NCMEC answered no fileId", reply.status_code, retryable=False
            )
        return reply

    def describe(self, report_id: str, file_id: str, file: CaseFile) -> Reply:
        """Send the fileDetails of an uploaded file (with the IP event of its upload)."""
        xml = self.file_details(report_id, file_id, file)
        return self._call(
            "fileinfo", "POST", "/fileinfo", content=xml.encode("utf-8"), value_tag=None
        )

    def finish(self, report_id: str) -> Reply:
        return self._call("finish", "POST", "/finish", data={"id": report_id})

    def retract(self, report_id: str) -> Reply:
        return self._call("retract", "POST", "/retract", data={"id": report_id})

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- HTTP ----------------------------------------------------------------------------

    def _http(self) -> httpx.Client:
        if not self.configured:
            raise ConfigError(
                "NCMEC reporting is not configured: set SAFEGUARD_NCMEC_USERNAME and "
                "SAFEGUARD_NCMEC_PASSWORD (from NCMEC's ESP registration)"
            )
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.base_url,
                auth=httpx.BasicAuth(self._username or "", self._password or ""),
                timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
                follow_redirects=False,
                transport=self._transport,
                headers={"Accept": "application/xml"},
            )
        return self._client

    def _call(
        self,
        step: str,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        value_tag: str | None = "reportId",
    ) -> Reply:
        client = self._http()
        headers = {"Content-Type": "text/xml; charset=utf-8"} if content is not None else None
        try:
            response = client.request(
                method, path, content=content, data=data, files=files, headers=headers
            )
        except httpx.TimeoutException:
            raise AuthorityError(step, "NCMEC did not answer in time", retryable=True) from None
        except httpx.TransportError as exc:
            raise AuthorityError(
                step, f"could not reach NCMEC ({type(exc).__name__})", retryable=True
            ) from None
        status = response.status_code
        code, description, value = _parse_answer(response.content, value_tag)
        said = f"HTTP {status}" + (f", responseCode {code}" if code is not None else "")
        if description:
            said += f": {description}"
        if retryable_status(status):
            raise AuthorityError(step, said, status, retryable=True)
        if status == 401:
            raise AuthorityError(
                step, "NCMEC refused the credentials (HTTP 401)", status, retryable=False
            )
        if not 200 <= status < 300:
            raise AuthorityError(step, said, status, retryable=False)
        if code is None:
            raise AuthorityError(
                step, f"HTTP {status}: no reportResponse in NCMEC's answer", status, retryable=False
            )
        if code != 0:
            raise AuthorityError(step, said, status, retryable=False)
        log.info("NCMEC %s: HTTP %s, responseCode 0", step, status)
        return Reply(status, description or "Success", value)


def _parse_answer(body: bytes, value_tag: str | None) -> tuple[int | None, str, str | None]:
    """``responseCode``, a short ``responseDescription`` and the value of ``value_tag`` from
    a reportResponse; (None, "", None) when the body is not one."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None, "", None
    if root.tag != "reportResponse":
        return None, "", None
    raw_code = (root.findtext("responseCode") or "").strip()
    try:
        code: int | None = int(raw_code)
    except ValueError:
        code = None
    description = " ".join((root.findtext("responseDescription") or "").split())[:MAX_DETAIL]
    value = None
    if value_tag is not None:
        value = (root.findtext(value_tag) or "").strip() or None
    return code, description, value


def from_settings(settings: Settings) -> NcmecAuthority:
    """The NCMEC authority configured by ``SAFEGUARD_NCMEC_*`` (docs/reporting.md)."""
    return NcmecAuthority.from_settings(settings)
