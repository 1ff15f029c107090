"""HMA (OpenMediaMatch) bank content as JSON: a list of content items, each with its
``signals`` by type and ``metadata.content_id`` (Safeguard's external id), the item shape
``GET /hma/c/bank/{name}/export`` answers (whose page, ``{"content": [...]}``, is read
too). HMA holds one value of a type per item: an item with more is written as several.
Labels are not carried; items disabled there (``disable_until_ts`` 0) are skipped."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from safeguard.banks.formats.base import (
    ExportItem,
    ListFormat,
    check_count,
    new_entry,
    read_document,
)
from safeguard.banks.models import NewEntry
from safeguard.errors import InvalidList

ENABLED, DISABLED = 1, 0  # HMA's disable_until_ts of content that matches, and not


def read(source: IO[bytes]) -> Iterator[NewEntry]:
    """The values of each enabled item, grouped as that item."""
    try:
        document = json.loads(read_document(source))
    except ValueError:
        raise InvalidList("the list is not JSON") from None
    items = document.get("content") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise InvalidList("expected a JSON list of HMA content items")
    check_count(len(items))
    for number, item in enumerate(items, start=1):
        yield from _entries(f"item {number}", item)


def _entries(where: str, item: Any) -> Iterator[NewEntry]:
    if not isinstance(item, dict) or not isinstance(item.get("signals"), dict):
        raise InvalidList(f"{where}: expected an object with signals by type")
    if item.get("disable_until_ts") == DISABLED:
        return
    metadata = item.get("metadata") or {}
    content_id = metadata.get("content_id") if isinstance(metadata, dict) else None
    if not isinstance(content_id, str | None):
        raise InvalidList(f"{where}: metadata.content_id is not text")
    for kind, value in item["signals"].items():
        if not isinstance(value, str):
            raise InvalidList(f"{where}: the {kind} value is not text")
        yield new_entry(f"{where} ({kind})", kind, value, external_id=content_id, item_key=where)


def write(pages: Iterable[Sequence[ExportItem]]) -> Iterator[str]:
    """A JSON list, an item a line."""
    separator = "[\n"
    for page in pages:
        records = [record for item in page for record in _records(item)]
        if records:
            yield separator + ",\n".join(json.dumps(r, separators=(",", ":")) for r in records)
            separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"


def _records(item: ExportItem) -> list[dict[str, Any]]:
    """HMA content items holding ``item``'s values, one value of a type in each."""
    signals: list[dict[str, str]] = []
    for kind, value in item.signals:
        free = next((held for held in signals if kind not in held), None)
        if free is None:
            free = {}
            signals.append(free)
        free[kind] = value
    metadata = {"content_id": item.external_id} if item.external_id is not None else None
    return [
        {"id": item.id, "disable_until_ts": ENABLED, "signals": held, "metadata": metadata}
        for held in signals
    ]


FORMAT = ListFormat("hma-json", "application/json", ".json", read, write)
