"""NCMEC's hash-sharing API (v2): the HTTP calls and the XML they answer.

Built from NCMEC's public documentation as python-threatexchange's client reads it:
``GET {base}/v2/entries?from=&to=`` answers a ``queryResult`` of ``images`` and
``videos``, each entry an ``image``/``video`` (member, id, classification, fingerprints)
or a ``deletedImage``/``deletedVideo`` tombstone, and ``paging/next``: the path of the
next page of the same time range. ``GET {base}/v2/status`` names the caller, and
``PUT {base}/v2/entries/{member}/{id}/{FINGERPRINT}/feedback`` sends an opinion of one
fingerprint. Authentication is HTTP Basic. Entries are not in time order: a range is
done only once its last page is read.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import httpx

from safeguard.errors import BadRequest, InvalidList
from safeguard.exchanges.base import ExchangeFailed, ExchangeRefused
from safeguard.exchanges.http import DEFAULT_TIMEOUT, http_client

NAMESPACE = "https://hashsharing.ncmec.org/hashsharing/v2"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_ENTRY_TAGS = {"image", "video", "deletedImage", "deletedVideo"}
_TRANSIENT = {401, 408, 429}  # credentials, time-outs and rate limits may pass


@dataclass(frozen=True)
class NcmecEntry:
    """One entry of a page: a record (``deleted`` False) or a tombstone."""

    member_id: int
    entry_id: str
    media: str  # image or video
    deleted: bool
    classification: str | None
    fingerprints: dict[str, str]  # lowercase tag -> value
    linked: int  # fingerprints given by link only (too large to inline)

    @property
    def key(self) -> str:
        """The record's id across members, as python-threatexchange keys it."""
        return f"{self.member_id}-{self.entry_id}"


@dataclass(frozen=True)
class NcmecPage:
    entries: tuple[NcmecEntry, ...]
    next: str | None  # the path of the next page of the range


def format_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime(TIME_FORMAT)


class NcmecHashClient:
    """Calls to one NCMEC hash-sharing environment (``base_url`` ends before ``/v2``)."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = http_client(
            headers={"Accept": "application/xml"},
            auth=httpx.BasicAuth(username, password),
            transport=transport,
            timeout=timeout,
        )

    def __enter__(self) -> NcmecHashClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def entries(self, start: int, end: int) -> NcmecPage:
        """The first page of the entries changed from ``start`` to ``end`` (Unix seconds)."""
        params = {"from": format_time(start), "to": format_time(end)}
        return parse_page(self._call("GET", "/v2/entries", params=params))

    def next_page(self, path: str) -> NcmecPage:
        """The page a previous page's ``next`` names (a path on the same server)."""
        if not path.startswith("/") or path.startswith("//"):
            raise InvalidList(f"NCMEC named a next page that is not a path: {path[:80]!r}")
        return parse_page(self._call("GET", path))

    def status(self) -> int:
        """The caller's member (ESP) id."""
        root = _xml(self._call("GET", "/v2/status"), "status")
        member = root.find("member")
        if member is None or not (member.get("id") or "").isdigit():
            raise InvalidList("NCMEC status: no member id")
        return int(member.get("id") or "0")

    def send_feedback(
        self,
        member_id: int,
        entry_id: str,
        fingerprint: str,
        *,
        affirmative: bool,
        reason_guid: str | None = None,
    ) -> None:
        """Tell NCMEC that one fingerprint (``MD5``, ``PDQ``, ...) of an entry is right
        (``affirmative``) or wrong, for the reason NCMEC lists under that guid."""
        if not affirmative and not reason_guid:
            raise BadRequest("negative feedback to NCMEC needs a reason guid")
        root = ET.Element("feedbackSubmission", xmlns=NAMESPACE)
        vote = ET.SubElement(root, "affirmative" if affirmative else "negative")
        if reason_guid:
            ET.SubElement(ET.SubElement(vote, "reasonIds"), "guid").text = reason_guid
        kind = quote(fingerprint.upper(), safe="")
        path = f"/v2/entries/{member_id}/{quote(entry_id, safe='')}/{kind}/feedback"
        body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        headers = {"Content-Type": "application/xml; charset=utf-8"}
        self._call("PUT", path, content=body, headers=headers)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> bytes:
        url = self.base_url + path
        try:
            response = self._client.request(
                method, url, params=params, content=content, headers=headers
            )
        except httpx.TimeoutException:
            raise ExchangeFailed("NCMEC did not answer in time") from None
        except httpx.TransportError as exc:
            raise ExchangeFailed(f"could not reach NCMEC ({type(exc).__name__})") from None
        if response.status_code == 401:
            raise ExchangeFailed("NCMEC refused the credentials (HTTP 401)")
        if not response.is_success:
            status = response.status_code
            where = urlsplit(url).path
            failure = (
                ExchangeRefused
                if 400 <= status < 500 and status not in _TRANSIENT
                else ExchangeFailed
            )
            raise failure(f"NCMEC answered HTTP {status} to {where}")
        return response.content


def parse_page(body: bytes) -> NcmecPage:
    """A ``queryResult``; InvalidList when it is not well-formed or lacks what an entry
    must have (a member id and an entry id)."""
    root = _xml(body, "queryResult")
    entries: list[NcmecEntry] = []
    for group in ("images", "videos"):
        for element in root.findall(group):
            entries.extend(_entry(child) for child in element if child.tag in _ENTRY_TAGS)
    following = (root.findtext("paging/next") or "").strip() or None
    return NcmecPage(tuple(entries), following)


def _entry(element: ET.Element) -> NcmecEntry:
    deleted = element.tag.startswith("deleted")
    media = element.tag.removeprefix("deleted").lower()
    entry_id = (element.findtext("id") or "").strip()
    member = element.find("member")
    member_id = (member.get("id") or "").strip() if member is not None else ""
    if not entry_id or not member_id.isdigit():
        raise InvalidList(f"NCMEC {element.tag} without an id or a member id")
    fingerprints: dict[str, str] = {}
    linked = 0
    for fingerprint in element.findall("fingerprints/*"):
        value = (fingerprint.text or "").strip()
        if value:
            fingerprints[fingerprint.tag.lower()] = value
        else:
            linked += 1
    classification = (element.findtext("classification") or "").strip() or None
    return NcmecEntry(
        int(member_id), entry_id, media, deleted, classification, fingerprints, linked
    )


def _xml(body: bytes, root_tag: str) -> ET.Element:
    """The document without namespaces; InvalidList unless it is a ``root_tag``."""
    try:
        root = ET.fromstring(body)
    except (ET.ParseError, LookupError, ValueError) as exc:  # an unknown or multi-byte encoding
        raise InvalidList(f"NCMEC answered XML that is not well-formed ({exc})") from None
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]
    if root.tag != root_tag:
        raise InvalidList(f"NCMEC answered a <{root.tag}>, not a <{root_tag}>")
    return root
