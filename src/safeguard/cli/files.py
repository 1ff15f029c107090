"""Reading the files a command names: directory walks and capped, streamed reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from safeguard.errors import BadRequest
from safeguard.media.decode import DecodeLimits, check_size
from safeguard.screening.signals import ContentSignals, content_signals

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


def file_signals(path: Path, limits: DecodeLimits, *, views: bool) -> ContentSignals:
    """Signals of one file (with the values of every query view, or only the file's own),
    read in chunks; refuses files over the byte cap unread."""
    try:
        check_size(path.stat().st_size, limits)
        chunks = []
        size = 0
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                chunks.append(chunk)
                size += len(chunk)
                check_size(size, limits)  # the file may grow while it is read
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror}") from None
    return content_signals(b"".join(chunks), limits, views=views)
