"""MD5 and SHA-256 of content bytes, computed in one streamed pass."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Digests:
    md5: str
    sha256: str
    size: int


class DigestAccumulator:
    """Feed chunks with ``update``; read the digests with ``result``."""

    def __init__(self) -> None:
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha256 = hashlib.sha256()
        self._size = 0

    def update(self, chunk: bytes) -> None:
        self._md5.update(chunk)
        self._sha256.update(chunk)
        self._size += len(chunk)

    @property
    def size(self) -> int:
        return self._size

    def result(self) -> Digests:
        return Digests(self._md5.hexdigest(), self._sha256.hexdigest(), self._size)


def digest_chunks(chunks: Iterable[bytes]) -> Digests:
    """Digests of the concatenation of ``chunks``."""
    acc = DigestAccumulator()
    for chunk in chunks:
        acc.update(chunk)
    return acc.result()
