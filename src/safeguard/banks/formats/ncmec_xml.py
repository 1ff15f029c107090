"""NCMEC hash-sharing entries as XML: the ``queryResult`` of ``GET /v2/entries``
(``exchanges/ncmec_client.py`` parses it). Each entry is a content item whose external id
is ``<member>-<id>`` and whose first label is its classification. Only the fingerprints
NCMEC shares are written: MD5 (image ``md5``, video ``video_md5``), SHA-1, PDQ and
PhotoDNA; items without any are left out. Deleted entries, and fingerprints of signal
types not installed here, are skipped on import. Documents declaring a DTD are refused."""

from __future__ import annotations

import pyexpat
from collections.abc import Iterable, Iterator, Sequence
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from safeguard.banks.formats.base import (
    ExportItem,
    ListFormat,
    check_count,
    new_entry,
    read_document,
)
from safeguard.banks.models import NewEntry
from safeguard.errors import InvalidList
from safeguard.exchanges.ncmec import SIGNAL_TYPES
from safeguard.exchanges.ncmec_client import NAMESPACE, parse_page
from safeguard.signals.registry import signal_types

_TAGS = {(media, kind): tag for (media, tag), kind in SIGNAL_TYPES.items()}
_TAGS |= {(media, "sha1"): "sha1" for media in ("image", "video")}
"""NCMEC's fingerprint tag of each (media, Safeguard signal type) it shares."""


def read(source: IO[bytes]) -> Iterator[NewEntry]:
    """The fingerprints of each entry that is not deleted, grouped as that entry."""
    data = read_document(source)
    _refuse_dtd(data)
    entries = parse_page(data).entries
    check_count(len(entries))
    installed = signal_types()
    for number, entry in enumerate(entries, start=1):
        if entry.deleted:
            continue
        labels = (entry.classification,) if entry.classification else ()
        for fingerprint, value in sorted(entry.fingerprints.items()):
            tag = fingerprint.replace("-", "_")
            kind = SIGNAL_TYPES.get((entry.media, tag), tag)
            if kind in installed:
                where = f"{entry.media} {number} ({entry.key}, {fingerprint})"
                yield new_entry(where, kind, value, external_id=entry.key, labels=labels)


def write(pages: Iterable[Sequence[ExportItem]]) -> Iterator[str]:
    """A ``queryResult`` with an ``images`` and a ``videos`` group per page."""
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<queryResult xmlns="{NAMESPACE}">\n'
    for page in pages:
        written = _entries(page)
        yield "<images>\n" + "".join(written.get("image", [])) + "</images>\n"
        yield "<videos>\n" + "".join(written.get("video", [])) + "</videos>\n"
    yield "</queryResult>\n"


def _entries(page: Sequence[ExportItem]) -> dict[str, list[str]]:
    """Each item's ``<image>`` or ``<video>`` element, by media."""
    written: dict[str, list[str]] = {}
    for item in page:
        media = "video" if any(kind == "video_md5" for kind, _ in item.signals) else "image"
        prints = [
            f"<{_TAGS[media, kind]}>{escape(value)}</{_TAGS[media, kind]}>"
            for kind, value in item.signals
            if (media, kind) in _TAGS
        ]
        if not prints:
            continue
        member, entry_id = _key(item)
        classification = (
            f"<classification>{escape(item.labels[0])}</classification>" if item.labels else ""
        )
        written.setdefault(media, []).append(
            f"<{media}><member id={quoteattr(member)}/><id>{escape(entry_id)}</id>"
            f"{classification}<fingerprints>{''.join(prints)}</fingerprints></{media}>\n"
        )
    return written


def _key(item: ExportItem) -> tuple[str, str]:
    """(member id, entry id): from an external id ``<member>-<id>``, else member 0 and
    the item's external id or number."""
    member, _, entry_id = (item.external_id or "").partition("-")
    if member.isdigit() and entry_id:
        return member, entry_id
    return "0", item.external_id or str(item.id)


def _refuse_dtd(data: bytes) -> None:
    """InvalidList for a document declaring a DTD (entities could expand without end)."""
    parser = pyexpat.ParserCreate()

    def refuse(*_: object) -> None:
        raise InvalidList("the XML declares a document type, which is refused")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(data, True)
    except (pyexpat.ExpatError, LookupError, ValueError) as exc:  # or an unknown encoding
        raise InvalidList(f"the XML is not well-formed ({exc})") from None


FORMAT = ListFormat("ncmec-xml", "application/xml", ".xml", read, write)
