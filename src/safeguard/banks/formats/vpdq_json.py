"""vPDQ as JSON Lines, one video a line, in the shape ``safeguard hash --format jsonl``
prints: ``{"vpdq": [{"frame", "quality", "pdq", "timestamp"}, ...]}`` (other keys of
that output are ignored), with ``external_id`` and ``labels`` when known. ``vpdq`` may
also be python-threatexchange's list of ``"pdq,quality,timestamp"`` strings."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

from safeguard.banks.formats.base import ExportItem, ListFormat, new_entry, text_lines
from safeguard.banks.models import NewEntry
from safeguard.errors import InvalidList
from safeguard.signals.vpdq import VPDQ

_FRAME_KEYS = ("frame", "quality", "pdq", "timestamp")


def read(source: IO[bytes]) -> Iterator[NewEntry]:
    """A vPDQ entry per line."""
    for number, line in text_lines(source):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            record = json.loads(line)
        except ValueError:
            raise InvalidList(f"{where}: not JSON") from None
        if not isinstance(record, dict) or "vpdq" not in record:
            raise InvalidList(f"{where}: expected an object with a vpdq list")
        external_id = record.get("external_id")
        labels = record.get("labels") or []
        if not isinstance(external_id, str | None) or not _strings(labels):
            raise InvalidList(f"{where}: external_id is text and labels a list of text")
        value = _value(where, record["vpdq"])
        yield new_entry(where, VPDQ.name, value, external_id=external_id, labels=labels)


def write(pages: Iterable[Sequence[ExportItem]]) -> Iterator[str]:
    """A line per vPDQ value."""
    for page in pages:
        yield "".join(
            json.dumps(
                {
                    "external_id": item.external_id,
                    "labels": list(item.labels),
                    "vpdq": VPDQ.json_value(value),
                },
                separators=(",", ":"),
            )
            + "\n"
            for item in page
            for kind, value in item.signals
            if kind == VPDQ.name
        )


def _value(where: str, frames: Any) -> str:
    """The value text of a frame list (objects, or python-threatexchange's strings)."""
    if not isinstance(frames, list):
        raise InvalidList(f"{where}: vpdq is not a list of frames")
    if _strings(frames):
        return json.dumps(frames)
    lines = []
    for frame in frames:
        if not isinstance(frame, dict) or any(key not in frame for key in _FRAME_KEYS):
            raise InvalidList(f"{where}: each frame has {', '.join(_FRAME_KEYS)}")
        lines.append(",".join(str(frame[key]) for key in _FRAME_KEYS))
    return "\n".join(lines)


def _strings(items: Any) -> bool:
    return isinstance(items, list) and all(isinstance(item, str) for item in items)


FORMAT = ListFormat("vpdq-json", "application/jsonl", ".jsonl", read, write)
