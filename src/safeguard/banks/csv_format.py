"""The CSV hash-list format: ``signal_type,signal_value[,external_id,labels]``.

A header row naming those columns is optional. Labels are separated by ``;`` inside
their field. Parsing is all-or-nothing: the first bad row raises InvalidList naming its
line, and nothing is returned.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import TextIO

from safeguard.banks.models import NewEntry
from safeguard.errors import InvalidList, SafeguardError

HEADER = ("signal_type", "signal_value", "external_id", "labels")
LABEL_SEPARATOR = ";"
MAX_FIELD = 4096


def parse_csv(stream: TextIO) -> list[NewEntry]:
    """Parse a whole list; raise InvalidList for the first bad row."""
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(stream)
    entries: list[NewEntry] = []
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if line == 1 and [c.strip().lower() for c in row] == list(HEADER[: len(row)]):
                continue
            entries.append(_parse_row(row, line))
    except csv.Error as exc:
        raise InvalidList(f"line {reader.line_num}: {exc}") from None
    return entries


def parse_csv_bytes(data: bytes) -> list[NewEntry]:
    """Parse UTF-8 (optionally with a BOM) CSV bytes."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidList(f"the list is not UTF-8 text (byte {exc.start})") from None
    return parse_csv(io.StringIO(text, newline=""))


def _parse_row(row: list[str], line: int) -> NewEntry:
    if len(row) < 2 or len(row) > 4:
        raise InvalidList(
            f"line {line}: expected 2 to 4 fields "
            f"(signal_type,signal_value[,external_id,labels]), got {len(row)}"
        )
    cells = [cell.strip() for cell in row] + [""] * (4 - len(row))
    labels = tuple(part for part in cells[3].split(LABEL_SEPARATOR) if part.strip())
    try:
        return NewEntry(
            signal_type=cells[0],
            value=cells[1],
            external_id=cells[2] or None,
            labels=labels,
        )
    except SafeguardError as exc:
        raise InvalidList(f"line {line}: {exc.detail}") from None


def export_rows(rows: Iterable[tuple[str, str, str | None, Iterable[str]]]) -> Iterator[str]:
    """CSV text, header first, one line per (signal_type, value, external_id, labels)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    yield buffer.getvalue()
    for kind, value, external_id, labels in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([kind, value, external_id or "", LABEL_SEPARATOR.join(labels)])
        yield buffer.getvalue()
