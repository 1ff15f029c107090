"""PDQ hashes as values: hex and byte codecs, Hamming distance, hashing decoded pixels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safeguard.signals import PDQ
from safeguard.signals.pdq_kernel import hash_pixels

DEFAULT_THRESHOLD = 31
HASH_BYTES = 32


@dataclass(frozen=True)
class PdqHash:
    """A 256-bit PDQ hash (lowercase hex) with the quality (0..100) of its image."""

    hex: str
    quality: int

    @property
    def code(self) -> bytes:
        return bytes.fromhex(self.hex)


def pdq_of_pixels(pixels: np.ndarray) -> PdqHash:
    """The PDQ hash of decoded (h, w) grey or (h, w, 3) RGB uint8 pixels."""
    code, quality = hash_pixels(pixels)
    return PdqHash(code.hex(), quality)


def distance(a: str, b: str) -> int:
    """Hamming distance between two PDQ hex strings."""
    return (int(PDQ.normalise(a), 16) ^ int(PDQ.normalise(b), 16)).bit_count()
