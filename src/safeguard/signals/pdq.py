"""The PDQ signal type: Meta's perceptual image hash, matched by Hamming distance.

An upload is looked up through the hashes of its query views (crops, borders trimmed,
turns: ``media/variants.py``) as well as its own, so that single edits are undone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from safeguard.errors import InvalidSignal, UnsupportedMedia
from safeguard.index.adapters import HexCodeIndex
from safeguard.index.base import ValueIndex
from safeguard.index.hamming import HammingIndex
from safeguard.media.animation import AnimationContent
from safeguard.media.content import Content
from safeguard.media.image import ImageContent
from safeguard.media.variants import ORIGINAL, query_views
from safeguard.signals.base import FRAME_MARK, HexFormat, SignalValue
from safeguard.signals.pdq_kernel import bits_from_dct, hash_pixels
from safeguard.signals.pdq_thresholds import DEFAULT_THRESHOLD as DEFAULT_THRESHOLD
from safeguard.signals.pdq_thresholds import MAX_THRESHOLD as MAX_THRESHOLD
from safeguard.signals.pdq_views import Axis, aligned_coefficients, blurred, turned_coefficients

HASH_BYTES = 32
# A PDQ hash sets one bit per DCT coefficient above the median: 128 of its 256 bits, fewer
# when coefficients tie (flat images). Values far outside that (all zeros, all ones) are no
# image's hash; they would only serve to match everything or nothing.
VIEWED_FRAMES = 16
"""An animation's first distinct frames hashed with every view; later ones as they are."""
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


class PdqSignal:
    """PDQ: 256-bit hashes of images (64 hex digits) with a quality, by Hamming distance."""

    name = "pdq"
    content_types = frozenset({"image", "animation"})
    default_threshold = DEFAULT_THRESHOLD
    max_threshold = MAX_THRESHOLD
    has_quality = True
    examples: tuple[str, ...] = (
        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
        "d8f8f0cee0f4a84f06370a32038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
    )

    def __init__(self) -> None:
        self._format = HexFormat(self.name, 2 * HASH_BYTES)

    def normalise(self, value: str) -> str:
        return self._format.normalise(value)

    def check_bank_value(self, value: str) -> str:
        """``value`` if an image could have it; InvalidSignal if its bit count is
        impossible for a PDQ hash (degenerate values such as all zeros)."""
        bits = int(value, 16).bit_count()
        if not MIN_BITS_SET <= bits <= MAX_BITS_SET:
            raise InvalidSignal(
                f"pdq value {value!r} has {bits} of 256 bits set: a PDQ hash of an image has "
                f"about half set, so values outside {MIN_BITS_SET} to {MAX_BITS_SET} are refused"
            )
        return value

    def distance(self, a: str, b: str) -> int:
        """Hamming distance between two PDQ hex strings."""
        return (int(self.normalise(a), 16) ^ int(self.normalise(b), 16)).bit_count()

    def hash_content(self, content: Content, *, views: bool = True) -> Sequence[SignalValue]:
        """The image's own hash first, then (with ``views``) those of its query views. An
        animation's own hash is its first frame's; its views are the first frame's, then
        those of every later distinct frame (``<view>@<frame>``; the first
        ``VIEWED_FRAMES`` frames with all their views, the others as they are)."""
        if not isinstance(content, ImageContent | AnimationContent):
            raise UnsupportedMedia(f"pdq hashes images, not {content.content_type}")
        if not views:
            return [_value(ORIGINAL, plain_pdq(content.luma))]
        values = [_value(name, pdq) for name, pdq in pdq_views(content.luma)]
        if isinstance(content, AnimationContent):
            for position, frame in enumerate(content.distinct[1:], 1):
                mark = f"{FRAME_MARK}{frame.number}"
                hashed = frame_views(frame.luma, all_views=position < VIEWED_FRAMES)
                values += [_value(name + mark, pdq) for name, pdq in hashed]
        return values

    def new_index(self) -> ValueIndex:
        return HexCodeIndex(HammingIndex)


PDQ = PdqSignal()


def plain_pdq(plane: np.ndarray) -> PdqHash:
    """The PDQ hash of a float32 luma plane as it is."""
    height, width = plane.shape
    [(coefficients, quality)] = aligned_coefficients(
        plane, [(Axis(height, height), Axis(width, width), False)]
    )
    return PdqHash(bits_from_dct(coefficients).hex(), quality)


def frame_views(plane: np.ndarray, *, all_views: bool) -> list[tuple[str, PdqHash]]:
    """(view name, PDQ hash) of a frame: of every view, or of the frame as it is."""
    return pdq_views(plane) if all_views else [(ORIGINAL, plain_pdq(plane))]


def pdq_views(plane: np.ndarray) -> list[tuple[str, PdqHash]]:
    """(view name, PDQ hash) of every view of a float32 luma plane, the plane itself first."""
    views = query_views(plane)
    results = aligned_coefficients(plane, [(v.rows, v.cols, v.transposed) for v in views.aligned])
    names = [v.name for v in views.aligned]
    if views.turned:
        small = blurred(views.small)
        results += [
            turned_coefficients(small, view.degrees, view.scale, view.mirrored)
            for view in views.turned
        ]
        names += [view.name for view in views.turned]
    return [
        (name, PdqHash(bits_from_dct(coefficients).hex(), quality))
        for name, (coefficients, quality) in zip(names, results, strict=True)
    ]


def _value(view: str, pdq: PdqHash) -> SignalValue:
    return SignalValue(pdq.hex, pdq.quality, view)
