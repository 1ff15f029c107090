"""Safeguard's CSV list (``banks/csv_format.py``), the default format. A file that is
one video's vPDQ frames in the reference's text form is read as such (see
``vpdq_text``), as ``safeguard bank import`` always has."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from safeguard.banks.csv_format import ExportRow, export_csv, read_csv
from safeguard.banks.formats import vpdq_text
from safeguard.banks.formats.base import ExportItem, ListFormat
from safeguard.banks.models import NewEntry
from safeguard.signals.vpdq import is_vpdq_text

_VPDQ_PROBE = 256  # bytes read to tell a vPDQ hash file from a CSV list


def read(source: IO[bytes]) -> Iterator[NewEntry]:
    """The rows of a CSV list, or the video of a vPDQ hash file (``source`` seekable)."""
    start = source.tell()
    head = source.read(_VPDQ_PROBE)
    source.seek(start)
    if is_vpdq_text(head):
        return vpdq_text.read(source)
    return read_csv(source)


def write(pages: Iterable[Sequence[ExportItem]]) -> Iterator[str]:
    """CSV text: a row per value."""
    return export_csv(_rows(page) for page in pages)


def _rows(page: Sequence[ExportItem]) -> list[ExportRow]:
    return [
        (kind, value, item.external_id, item.labels)
        for item in page
        for kind, value in item.signals
    ]


FORMAT = ListFormat("csv", "text/csv", ".csv", read, write)
