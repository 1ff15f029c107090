"""The CSV hash-list format: ``signal_type,signal_value[,external_id,labels]``.

A header row naming those columns is optional. Labels are separated by ``;`` inside
their field. Lists are read as streams, row by row: the first bad row raises InvalidList
naming its line. Lists arriving over a pipe or a socket are spooled to a temporary file
first, so that they can be read twice: checked whole, then imported.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, NamedTuple

from safeguard.banks.models import NewEntry
from safeguard.errors import InvalidList, SafeguardError

HEADER = ("signal_type", "signal_value", "external_id", "labels")
LABEL_SEPARATOR = ";"
# Values may be of any length (entries are keyed by a digest); a row field is capped so that
# one line of a hostile list cannot take the memory of many.
MAX_FIELD = 65_536
# A spooled list stays in memory up to this size, then moves to a temporary file.
SPOOL_MEMORY_BYTES = 8 * 1024 * 1024
# Bytes that are not UTF-8 decode to these lone surrogates (errors="surrogateescape").
_UNDECODABLE = re.compile("[\udc80-\udcff]")


class ListRow(NamedTuple):
    """One row of a list as written, its values not yet checked."""

    signal_type: str
    value: str
    external_id: str | None
    labels: tuple[str, ...]


ExportRow = tuple[str, str, str | None, Sequence[str]]
"""(signal_type, value, external_id, labels) of one exported entry."""


def spool_file() -> tempfile.SpooledTemporaryFile[bytes]:
    """An empty temporary file for a list being received."""
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)


def read_csv(source: IO[bytes]) -> Iterator[NewEntry]:
    """The entries of a UTF-8 list (a leading BOM is allowed), read from ``source``.

    Entries come one by one; a bad row raises InvalidList after the rows before it have
    been yielded, so an all-or-nothing import reads the list through once first.
    ``source`` is left open.
    """
    text = io.TextIOWrapper(source, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        yield from parse_csv(_utf8_lines(text))
    finally:
        text.detach()


def parse_csv(lines: Iterable[str]) -> Iterator[NewEntry]:
    """The entries of a list given as lines of text; InvalidList for the first bad row."""
    for line, row in csv_rows(lines):
        yield _entry(row, line)


def csv_rows(lines: Iterable[str]) -> Iterator[tuple[int, ListRow]]:
    """(line number, row) for each row of a list, header and blank lines skipped; the
    values are not checked. InvalidList for the first malformed line."""
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(lines)
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if line == 1 and [c.strip().lower() for c in row] == list(HEADER[: len(row)]):
                continue
            yield line, _split(row, line)
    except csv.Error as exc:
        raise InvalidList(f"line {reader.line_num}: {exc}") from None


def export_csv(pages: Iterable[Sequence[ExportRow]]) -> Iterator[str]:
    """CSV text: the header, then one piece of text per page of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    yield buffer.getvalue()
    for page in pages:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(
            [kind, value, external_id or "", LABEL_SEPARATOR.join(labels)]
            for kind, value, external_id, labels in page
        )
        yield buffer.getvalue()


def _utf8_lines(text: Iterable[str]) -> Iterator[str]:
    """The lines of ``text``; InvalidList naming the first line that was not UTF-8."""
    for number, line in enumerate(text, start=1):
        if _UNDECODABLE.search(line):
            raise InvalidList(f"line {number}: the list is not UTF-8 text")
        yield line


def _split(row: list[str], line: int) -> ListRow:
    if len(row) < 2 or len(row) > 4:
        raise InvalidList(
            f"line {line}: expected 2 to 4 fields "
            f"(signal_type,signal_value[,external_id,labels]), got {len(row)}"
        )
    cells = [cell.strip() for cell in row] + [""] * (4 - len(row))
    labels = tuple(part for part in cells[3].split(LABEL_SEPARATOR) if part.strip())
    return ListRow(cells[0], cells[1], cells[2] or None, labels)


def _entry(row: ListRow, line: int) -> NewEntry:
    try:
        return NewEntry(row.signal_type, row.value, external_id=row.external_id, labels=row.labels)
    except SafeguardError as exc:
        raise InvalidList(f"line {line}: {exc.detail}") from None
