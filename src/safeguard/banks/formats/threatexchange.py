"""python-threatexchange's signal file: one ``signal_type value`` a line, as its CLI
prints signals (``threatexchange dataset -P -S``) and reads them. It carries no ids or
labels. A vPDQ value is written on one line in python-threatexchange's JSON form (its
frames are numbered in order when read back)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from safeguard.banks.formats.base import ExportItem, ListFormat, new_entry, text_lines
from safeguard.banks.models import NewEntry
from safeguard.errors import InvalidList
from safeguard.signals.vpdq import VPDQ, parse


def parse_line(line: str, number: int, signal_type: str | None = None) -> tuple[str, str] | None:
    """(signal type, value) of one line: ``type value``, or a bare value of
    ``signal_type`` when given; None for a blank line."""
    line = line.strip()
    if not line:
        return None
    if signal_type is not None:
        return signal_type, line
    kind, _, value = line.partition(" ")
    if not value.strip():
        raise InvalidList(
            f"line {number}: expected 'signal_type value' (or set the signal_type setting)"
        )
    return kind.lower(), value.strip()


def read(source: IO[bytes]) -> Iterator[NewEntry]:
    """The entries of a signal file, each its own content item."""
    for number, line in text_lines(source):
        parsed = parse_line(line, number)
        if parsed is not None:
            yield new_entry(f"line {number}", *parsed)


def write(pages: Iterable[Sequence[ExportItem]]) -> Iterator[str]:
    """A line per value."""
    for page in pages:
        yield "".join(
            f"{kind} {_one_line(kind, value)}\n" for item in page for kind, value in item.signals
        )


def _one_line(kind: str, value: str) -> str:
    """``value`` on one line: a vPDQ value as python-threatexchange's JSON list."""
    if kind != VPDQ.name:
        return value
    frames = [f"{f.pdq},{f.quality},{f.timestamp:.3f}" for f in parse(value)]
    return json.dumps(frames, separators=(",", ":"))


FORMAT = ListFormat("threatexchange", "text/plain", ".txt", read, write)
