"""A local fake of NCMEC's hash-sharing API v2, for tests (never the real service).

Built from the public documentation's shapes (as python-threatexchange's client and its
test data read them): ``GET /v2/status``; ``GET /v2/entries?from=&to=`` answering a
``queryResult`` in NCMEC's namespace with ``images`` and ``videos`` (entries and
``deletedImage``/``deletedVideo`` tombstones) and ``paging/next`` naming
``/v2/entries?from=&to=&start=&size=&max=``; ``PUT /v2/entries/{member}/{id}/{TYPE}/feedback``
taking a ``feedbackSubmission``. HTTP Basic auth. The fake keeps each entry's latest
state with its time, answers a range's entries out of time order (as NCMEC warns), and
serves under ``/hashsharing`` like the real environments.

Failures: ``fail`` (Nth entries request, from 1 -> HTTP status) and ``malformed`` (Nth
entries request answered with broken XML).
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
                return _xml(ET.Element("submissionResult", xmlns=NAMESPACE))
            return 404, "text/plain", b""

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
