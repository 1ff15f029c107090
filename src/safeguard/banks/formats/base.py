"""What a list format is, and the checks its readers share: size caps, and errors that
name the line or record."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from safeguard.banks.models import NewEntry
from safeguard.errors import InvalidList, SafeguardError

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""The largest JSON or XML document read whole (line formats are read as streams)."""
MAX_RECORDS = 1_000_000
"""The most content items one JSON or XML document may hold."""
MAX_LINE_BYTES = 32 * 1024 * 1024
"""The longest line of a line format: room for a long video's vPDQ frames."""


@dataclass(frozen=True)
class ExportItem:
    """One content item of a bank being exported: its enabled values in entry order."""

    id: int
    external_id: str | None
    labels: tuple[str, ...]
    signals: tuple[tuple[str, str], ...]  # (signal type, value)


Reader = Callable[[IO[bytes]], Iterator[NewEntry]]
Writer = Callable[[Iterable[Sequence[ExportItem]]], Iterator[str]]


@dataclass(frozen=True)
class ListFormat:
    """A format: ``read`` yields the entries of a list (InvalidList naming the first bad
    line or record, after the entries before it), ``write`` the text of pages of items."""

    name: str
    media_type: str
    suffix: str
    read: Reader
    write: Writer


def new_entry(
    where: str,
    signal_type: str,
    value: str,
    *,
    external_id: str | None = None,
    labels: Sequence[str] = (),
    item_key: str | None = None,
) -> NewEntry:
    """A checked entry; InvalidList naming ``where`` if it is not valid."""
    try:
        return NewEntry(
            signal_type, value, external_id, tuple(labels), source="import", item_key=item_key
        )
    except SafeguardError as exc:
        raise InvalidList(f"{where}: {exc.detail}") from None


def read_document(source: IO[bytes]) -> bytes:
    """The whole of ``source``; InvalidList if it is larger than ``MAX_DOCUMENT_BYTES``."""
    data = source.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidList(f"the list is larger than {MAX_DOCUMENT_BYTES} bytes")
    return data


def check_count(count: int) -> None:
    """Refuse a document of more than ``MAX_RECORDS`` items."""
    if count > MAX_RECORDS:
        raise InvalidList(f"the list holds more than {MAX_RECORDS} items")


def text_lines(source: IO[bytes]) -> Iterator[tuple[int, str]]:
    """The numbered lines of UTF-8 text (a leading BOM is allowed), without their line
    ends; InvalidList for a line that is too long or not UTF-8."""
    number = 0
    while line := source.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise InvalidList(f"line {number}: longer than {MAX_LINE_BYTES} bytes")
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise InvalidList(f"line {number}: the list is not UTF-8 text") from None
        yield number, text.rstrip("\r\n")
