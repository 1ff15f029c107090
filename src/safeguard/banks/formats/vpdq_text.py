"""vPDQ in the reference's per-frame text form (``vpdq-hash-video``'s files): one
``frame,quality,pdq,timestamp`` line a frame. A file is one video; several videos are
separated by a blank line. Only vPDQ values are written; ids and labels are not carried.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from safeguard.banks.formats.base import ExportItem, ListFormat, new_entry, text_lines
from safeguard.banks.models import NewEntry
from safeguard.errors import InvalidList
from safeguard.signals.vpdq import MAX_FRAMES, VPDQ


def read(source: IO[bytes]) -> Iterator[NewEntry]:
    """A vPDQ entry per video."""
    frames: list[str] = []
    first = 0
    for number, line in text_lines(source):
        if line.strip():
            first = first or number
            frames.append(line)
            if len(frames) > MAX_FRAMES:
                raise InvalidList(f"line {first}: a video of more than {MAX_FRAMES} frames")
            continue
        if frames:
            yield new_entry(f"line {first}", VPDQ.name, "\n".join(frames))
        frames, first = [], 0
    if frames:
        yield new_entry(f"line {first}", VPDQ.name, "\n".join(frames))


def write(pages: Iterable[Sequence[ExportItem]]) -> Iterator[str]:
    """Each vPDQ value's frames, then a blank line."""
    for page in pages:
        yield "".join(
            f"{value}\n\n" for item in page for kind, value in item.signals if kind == VPDQ.name
        )


FORMAT = ListFormat("vpdq-text", "text/plain", ".txt", read, write)
