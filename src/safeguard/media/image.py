"""The image content type: still images in the formats ``decode.py`` opens."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from safeguard.media.decode import DecodedImage, DecodeLimits, decode_image
from safeguard.signals.pdq_kernel import luma_from_rgb

# JPEGs are decoded at reduced scale while both sides keep at least this many pixels:
# hashes then stay within 8 bits (p99) of the full decode's (docs/benchmarks.md).
REDUCED_DECODE_MIN_SIDE = 750

STILL_BRANDS = (b"avif", b"avis", b"heic", b"heix", b"mif1", b"msf1")
"""ISO base media brands of still images (AVIF, HEIF), not videos."""

_MAGIC = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)


@dataclass(frozen=True)
class ImageContent:
    """A decoded image and the bytes it came from."""

    data: bytes
    image: DecodedImage
    content_type: str = "image"

    @cached_property
    def luma(self) -> np.ndarray:
        """The float32 luma plane (0.299 R + 0.587 G + 0.114 B, as PDQ computes it)."""
        pixels = self.image.pixels
        if pixels.ndim == 2:
            return pixels.astype(np.float32)
        return luma_from_rgb(np.ascontiguousarray(pixels))


class ImageType:
    """JPEG, PNG, GIF, WebP, BMP, TIFF and AVIF stills (animations are
    ``media/animation.py``'s)."""

    name = "image"

    def accepts(self, head: bytes) -> bool:
        return (
            head.startswith(_MAGIC)
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
            or (head[4:8] == b"ftyp" and head[8:12] in STILL_BRANDS)
        )

    def decode(self, data: bytes, limits: DecodeLimits) -> ImageContent:
        return ImageContent(data, decode_image(data, limits, reduce_to=REDUCED_DECODE_MIN_SIDE))


IMAGE = ImageType()
