"""SHA-256 of the content's bytes."""

from __future__ import annotations

import hashlib

from safeguard.signals.exact import DigestSignal


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


SHA256 = DigestSignal(
    "sha256",
    _sha256,
    (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
    ),
)
