"""A local fake of NCMEC's hash-sharing API v2, for tests (never the real service).

Built from the public documentation's shapes (as python-threatexchange's client and its
test data read them): ``GET /v2/status``; ``GET /v2/entries?from=&to=`` answering a
``queryResult`` in NCMEC's namespace with ``images`` and ``videos`` (entries and
``deletedImage``/``deletedVideo`` tombstones) and ``paging/next`` naming
``/v2/entries?from=&to=&start=&size=&max=``; ``PUT /v2/entries/{member}/{id}/{TYPE}/feedback``
taking a ``feedbackSubmission`` in NCMEC's namespace: one ``affirmative``, or one
``negative`` whose ``reasonIds`` hold ``guid``s of the reasons NCMEC lists for that
fingerprint type (``GET /v2/feedback/{TYPE}/reasons``). HTTP Basic auth. The fake keeps
each entry's latest state with its time, answers a range's entries out of time order (as
NCMEC warns), and serves under ``/hashsharing`` like the real environments.

Feedback is checked as NCMEC would: an unknown entry is 404, an unknown fingerprint type
or a submission of another shape (or an unlisted reason) is 400; each one taken is
recorded in ``opinions``.

Failures: ``fail`` (Nth entries request, from 1 -> HTTP status), ``malformed`` (Nth
entries request answered with broken XML) and ``feedback_fail`` (statuses answered to
the next feedback requests, first first).
"""

from __future__ import annotations

import base64
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.serving import Answer, serving

USERNAME = "fake-hash-esp"
PASSWORD = "fake-hash-password"  # a test value of the fake server, not a credential
NAMESPACE = "https://hashsharing.ncmec.org/hashsharing/v2"
BASE_PATH = "/hashsharing"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
FINGERPRINT_TYPES = (
    "MD5",
    "SHA1",
    "PDNA",
    "PDQ",
    "NETCLEAN",
    "VIDENTIFIER",
    "TMK_PDQF",
    "SSVH_PDNA",
    "SSVH_SAFER_HASH",
)
REASON = "0b5e6a1c-3d7f-4e2a-9c8b-1f0d2e3a4b5c"
"""The fake's one negative feedback reason for every fingerprint type."""


@dataclass(frozen=True)
class Opinion:
    """Feedback the fake took: on which fingerprint of which entry, and what."""

    member_id: int
    entry_id: str
    fingerprint: str
    vote: str  # affirmative or negative
    reasons: tuple[str, ...] = ()


@dataclass
class FakeEntry:
    member_id: int
    entry_id: str
    media: str  # image or video
    at: int  # Unix seconds of its latest change
    classification: str | None = None
    fingerprints: dict[str, str] = field(default_factory=dict)
    deleted: bool = False


@dataclass
class FakeNcmecHashes:
    """The fake's entries, knobs and the requests it saw; ``url`` once started."""

    page_size: int = 2
    entries: dict[tuple[int, str], FakeEntry] = field(default_factory=dict)
    fail: dict[int, int] = field(default_factory=dict)
    malformed: set[int] = field(default_factory=set)
    feedback: list[tuple[str, bytes]] = field(default_factory=list)
    opinions: list[Opinion] = field(default_factory=list)
    feedback_fail: list[int] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    entry_requests: int = 0
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, entry: FakeEntry) -> None:
        """Add or change an entry (its latest state replaces the earlier one)."""
        with self._lock:
            self.entries[(entry.member_id, entry.entry_id)] = entry

    def delete(self, member_id: int, entry_id: str, at: int) -> None:
        with self._lock:
            entry = self.entries[(member_id, entry_id)]
            entry.deleted, entry.at, entry.fingerprints = True, at, {}

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        with self._lock:
            self.requests.append(f"{method} {path}")
            if headers.get("authorization") != expected:
                return 401, "text/plain", b""
            parts = urlsplit(path)
            route = parts.path.removeprefix(BASE_PATH)
            if method == "GET" and route == "/v2/status":
                return _xml(_status())
            if method == "GET" and route == "/v2/entries":
                return self._entries(parse_qs(parts.query))
            if method == "PUT" and route.startswith("/v2/entries/") and route.endswith("/feedback"):
                self.feedback.append((route, body))
                return self._feedback(route, headers, body)
            return 404, "text/plain", b""

    def _feedback(self, route: str, headers: dict[str, str], body: bytes) -> Answer:
        if self.feedback_fail:
            return self.feedback_fail.pop(0), "text/plain", b"feedback failed"
        parts = route.split("/")  # "", v2, entries, member, id, TYPE, feedback
        if len(parts) != 7 or not parts[3].isdigit():
            return 404, "text/plain", b""
        entry = self.entries.get((int(parts[3]), parts[4]))
        if entry is None or entry.deleted:
            return 404, "text/plain", b"no such entry"
        if parts[5] not in FINGERPRINT_TYPES:
            return 400, "text/plain", b"unknown fingerprint type"
        if not headers.get("content-type", "").startswith("application/xml"):
            return 415, "text/plain", b""
        opinion = _submission(body)
        if opinion is None:
            return 400, "text/plain", b"not a valid feedbackSubmission"
        vote, reasons = opinion
        self.opinions.append(Opinion(entry.member_id, entry.entry_id, parts[5], vote, reasons))
        return 200, "application/xml", b""

    def _entries(self, query: dict[str, list[str]]) -> Answer:
        self.entry_requests += 1
        if self.entry_requests in self.fail:
            return self.fail[self.entry_requests], "text/plain", b"server error"
        if self.entry_requests in self.malformed:
            return 200, "application/xml", b"<queryResult><images><image><id>"
        start_at = _time(query["from"][0])
        end_at = _time(query["to"][0])
        chosen = [e for e in self.entries.values() if start_at <= e.at < end_at]
        # NCMEC pages are not in time order: serve the range by entry id.
        chosen.sort(key=lambda e: (e.entry_id, e.member_id))
        first = int(query.get("start", ["1"])[0])
        page = chosen[first - 1 : first - 1 + self.page_size]
        root = ET.Element("queryResult", xmlns=NAMESPACE)
        for media in ("image", "video"):
            group = ET.SubElement(root, f"{media}s", count=str(len(page)))
            for entry in page:
                if entry.media == media:
                    group.append(_entry(entry))
        following = first + self.page_size
        if following <= len(chosen):
            paging = ET.SubElement(root, "paging")
            params = {
                "from": query["from"][0],
                "to": query["to"][0],
                "start": following,
                "size": self.page_size,
                "max": len(chosen),
            }
            ET.SubElement(paging, "next").text = "/v2/entries?" + urlencode(params)
        return _xml(root)


def _submission(body: bytes) -> tuple[str, tuple[str, ...]] | None:
    """(vote, reason guids) of a well-formed ``feedbackSubmission`` whose reasons the
    fake lists; None otherwise."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    ns = "{" + NAMESPACE + "}"
    if root.tag != f"{ns}feedbackSubmission" or len(root) != 1:
        return None
    [vote] = root
    if vote.tag == f"{ns}affirmative" and len(vote) == 0:
        return "affirmative", ()
    if vote.tag != f"{ns}negative" or len(vote) != 1 or vote[0].tag != f"{ns}reasonIds":
        return None
    if len(vote[0]) == 0 or any(guid.tag != f"{ns}guid" for guid in vote[0]):
        return None
    guids = tuple((guid.text or "").strip() for guid in vote[0])
    return ("negative", guids) if set(guids) <= {REASON} else None


def _entry(entry: FakeEntry) -> ET.Element:
    tag = f"deleted{entry.media.capitalize()}" if entry.deleted else entry.media
    element = ET.Element(tag)
    ET.SubElement(element, "member", id=str(entry.member_id)).text = f"Member {entry.member_id}"
    ET.SubElement(element, "timestamp").text = _format(entry.at)
    ET.SubElement(element, "id").text = entry.entry_id
    if entry.deleted:
        return element
    if entry.classification:
        ET.SubElement(element, "classification").text = entry.classification
    prints = ET.SubElement(element, "fingerprints")
    for kind, value in entry.fingerprints.items():
        if value.startswith("/"):  # too large to inline: NCMEC links it
            ET.SubElement(prints, kind, rel="self", href=value)
        else:
            ET.SubElement(prints, kind).text = value
    return element


def _status() -> ET.Element:
    root = ET.Element("status", xmlns=NAMESPACE)
    ET.SubElement(root, "ipAddress").text = "127.0.0.1"
    ET.SubElement(root, "username").text = USERNAME
    ET.SubElement(root, "member", id="7").text = "Fake ESP"
    return root


def _xml(root: ET.Element) -> Answer:
    return 200, "application/xml", ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _format(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime(TIME_FORMAT)


def _time(text: str) -> int:
    return int(datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC).timestamp())


@contextmanager
def running(fake: FakeNcmecHashes | None = None) -> Iterator[FakeNcmecHashes]:
    """Serve ``fake``; its ``url`` is the base URL an exchange is configured with."""
    fake = fake or FakeNcmecHashes()
    with serving(fake.handle) as root:
        fake.url = root + BASE_PATH
        yield fake
