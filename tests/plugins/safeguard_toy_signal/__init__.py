"""A toy signal type: the 64-bit average hash (aHash) of an image's 8 x 8 mean luma,
compared by Hamming distance and searched by a linear index."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from safeguard.errors import InvalidSignal, UnsupportedMedia
from safeguard.index.adapters import LinearIndex
from safeguard.index.base import ValueIndex
from safeguard.media.content import Content
from safeguard.media.image import ImageContent
from safeguard.signals.base import HexFormat, SignalValue


def average_hash(luma: np.ndarray) -> str:
    """Bit k set when block k of an 8 x 8 grid is brighter than the grid's mean."""
    rows, cols = luma.shape
    grid = np.array(
        [
            [
                luma[
                    r * rows // 8 : (r + 1) * rows // 8, c * cols // 8 : (c + 1) * cols // 8
                ].mean()
                for c in range(8)
            ]
            for r in range(8)
        ]
    )
    bits = (grid > grid.mean()).flatten()
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


class AverageHash:
    name = "ahash"
    content_types = frozenset({"image"})
    default_threshold = 4
    max_threshold = 10
    has_quality = False
    examples: tuple[str, ...] = ("f0f0f0f00f0f0f0f", "ff00ff00ff00ff00")

    def __init__(self) -> None:
        self._format = HexFormat(self.name, 16)

    def normalise(self, value: str) -> str:
        return self._format.normalise(value)

    def check_bank_value(self, value: str) -> str:
        if value in ("0" * 16, "f" * 16):
            raise InvalidSignal("a flat image's ahash matches every flat image")
        return value

    def distance(self, a: str, b: str) -> int:
        return (int(a, 16) ^ int(b, 16)).bit_count()

    def hash_content(self, content: Content, *, views: bool = True) -> Sequence[SignalValue]:
        if not isinstance(content, ImageContent):
            raise UnsupportedMedia(f"ahash hashes images, not {content.content_type}")
        return [SignalValue(average_hash(content.luma))]

    def new_index(self) -> ValueIndex:
        return LinearIndex(self.distance)


AHASH = AverageHash()
