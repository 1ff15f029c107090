"""Reading the files a command names: directory walks and capped, streamed reads."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from safeguard.errors import BadRequest
from safeguard.media.decode import DecodeLimits, check_size
from safeguard.screening.signals import ContentSignals, image_signals
from safeguard.signals.digest import DigestAccumulator

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
    """Signals of one file (with every query view's PDQ hash, or only the file's own), read
    once in chunks; refuses files over the byte cap unread."""
    try:
        check_size(path.stat().st_size, limits)
        digests = DigestAccumulator()
        chunks = []
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digests.update(chunk)
                chunks.append(chunk)
                check_size(digests.size, limits)
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror}") from None
    return image_signals(b"".join(chunks), limits, digests.result(), views=views)
