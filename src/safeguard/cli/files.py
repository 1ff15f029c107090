"""Reading the files a command names: directory walks and capped, streamed reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from safeguard.errors import BadRequest

if TYPE_CHECKING:
    from safeguard.media.decode import DecodeLimits
    from safeguard.media.video import Progress
    from safeguard.screening.signals import ContentSignals

_CHUNK = 1024 * 1024


def walk(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and every file below named directories, in sorted order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            yield path
        else:
            raise BadRequest(f"{path}: no such file or directory")


def file_signals(
    path: Path, limits: DecodeLimits, *, views: bool, on_progress: Progress | None = None
) -> ContentSignals:
    """Signals of one file (with the values of every query view, or only the file's own),
    read in chunks; refuses files over the byte cap unread. A video tells ``on_progress``
    how far its decoding has come."""
    from safeguard.media.content import decode_content
    from safeguard.media.decode import check_size
    from safeguard.media.video import VideoContent
    from safeguard.screening.signals import hash_content

    try:
        check_size(path.stat().st_size, limits, cap=limits.largest_bytes)
        chunks = []
        size = 0
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                chunks.append(chunk)
                size += len(chunk)
                check_size(
                    size, limits, cap=limits.largest_bytes
                )  # the file may grow while it is read
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror}") from None
    content = decode_content(b"".join(chunks), limits)
    if isinstance(content, VideoContent) and on_progress is not None:
        content = replace(content, on_progress=on_progress)
    return hash_content(content, views=views)
