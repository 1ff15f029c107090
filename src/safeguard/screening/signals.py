"""The signals of one piece of content: exact digests and, for images, PDQ hashes of views."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from safeguard.media.decode import DecodedImage, DecodeLimits, decode_image
from safeguard.media.variants import ORIGINAL, query_views
from safeguard.signals.digest import Digests, digest_chunks
from safeguard.signals.pdq import PdqHash
from safeguard.signals.pdq_kernel import bits_from_dct, luma_from_rgb
from safeguard.signals.pdq_views import (
    Axis,
    aligned_coefficients,
    blurred,
    turned_coefficients,
)

# JPEGs are decoded at reduced scale while both sides keep at least this many pixels:
# hashes then stay within 8 bits (p99) of the full decode's (docs/benchmarks.md).
REDUCED_DECODE_MIN_SIDE = 750


@dataclass(frozen=True)
class ContentSignals:
    """Digests, the image's own PDQ hash, and the PDQ hashes of views to look up."""

    md5: str
    sha256: str
    pdq: PdqHash | None
    pdq_views: tuple[tuple[str, PdqHash], ...] = ()

    def as_dict(self) -> dict[str, object]:
        """The JSON form: ``{"md5", "sha256", "pdq", "pdq_quality"}``."""
        return {
            "md5": self.md5,
            "sha256": self.sha256,
            "pdq": self.pdq.hex if self.pdq else None,
            "pdq_quality": self.pdq.quality if self.pdq else None,
        }


def image_signals(
    data: bytes, limits: DecodeLimits, digests: Digests | None = None, *, views: bool = True
) -> ContentSignals:
    """Digests of ``data`` (or the ones already streamed) and the PDQ hashes of the image:
    of every query view, or with ``views=False`` of the image alone.

    Raises a SafeguardError subclass if ``data`` is not a decodable image within limits.
    """
    image = decode_image(data, limits, reduce_to=REDUCED_DECODE_MIN_SIDE)
    digests = digests or digest_chunks([data])
    plane = luma_of(image)
    hashes = pdq_views(plane) if views else [(ORIGINAL, plain_pdq(plane))]
    return ContentSignals(digests.md5, digests.sha256, hashes[0][1], tuple(hashes))


def plain_pdq(plane: np.ndarray) -> PdqHash:
    """The PDQ hash of a float32 luma plane as it is."""
    height, width = plane.shape
    [(coefficients, quality)] = aligned_coefficients(
        plane, [(Axis(height, height), Axis(width, width), False)]
    )
    return PdqHash(bits_from_dct(coefficients).hex(), quality)


def pdq_views(plane: np.ndarray) -> list[tuple[str, PdqHash]]:
    """(view name, PDQ hash) of every view of a float32 luma plane, the plane itself first."""
    views = query_views(plane)
    results = aligned_coefficients(plane, [(v.rows, v.cols, v.transposed) for v in views.aligned])
    names = [v.name for v in views.aligned]
    if views.turned:
        small = blurred(views.small)
        results += [turned_coefficients(small, view.degrees) for view in views.turned]
        names += [view.name for view in views.turned]
    return [
        (name, PdqHash(bits_from_dct(coefficients).hex(), quality))
        for name, (coefficients, quality) in zip(names, results, strict=True)
    ]


def luma_of(image: DecodedImage) -> np.ndarray:
    """The float32 luma plane of a decoded image."""
    pixels = image.pixels
    if pixels.ndim == 2:
        return pixels.astype(np.float32)
    return luma_from_rgb(np.ascontiguousarray(pixels))
