"""PDQ hashes as values: hex and byte codecs, Hamming distance, hashing decoded pixels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safeguard.errors import InvalidSignal
from safeguard.signals import PDQ
from safeguard.signals.pdq_kernel import hash_pixels

DEFAULT_THRESHOLD = 31
# The largest threshold a bank may have. The robustness benchmark found the first false
# positive of any view at 54 bits; this keeps a margin of 10 (docs/benchmarks.md).
MAX_THRESHOLD = 44
HASH_BYTES = 32
# A PDQ hash sets one bit per DCT coefficient above the median: 128 of its 256 bits, fewer
# when coefficients tie (flat images). Values far outside that (all zeros, all ones) are no
# image's hash; they would only serve to match everything or nothing.
MIN_BITS_SET = 64
MAX_BITS_SET = 192


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


def check_plausible(value: str) -> str:
    """``value`` (normalised PDQ hex) if an image could have it; InvalidSignal if its bit
    count is impossible for a PDQ hash (degenerate values such as all zeros)."""
    bits = int(value, 16).bit_count()
    if not MIN_BITS_SET <= bits <= MAX_BITS_SET:
        raise InvalidSignal(
            f"pdq value {value!r} has {bits} of 256 bits set: a PDQ hash of an image has "
            f"about half set, so values outside {MIN_BITS_SET} to {MAX_BITS_SET} are refused"
        )
    return value
