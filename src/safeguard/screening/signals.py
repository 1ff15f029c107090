"""The signals of one piece of content: exact digests and, for images, PDQ."""

from __future__ import annotations

from dataclasses import dataclass

from safeguard.media.decode import DecodeLimits, decode_image
from safeguard.media.variants import query_views
from safeguard.signals.digest import Digests, digest_chunks
from safeguard.signals.pdq import PdqHash, pdq_of_pixels


@dataclass(frozen=True)
class ContentSignals:
    """Digests, the image's own PDQ hash, and the PDQ hashes of extra views to look up."""

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
    data: bytes, limits: DecodeLimits, digests: Digests | None = None
) -> ContentSignals:
    """Digests of ``data`` (or the ones already streamed) and the PDQ hash of the image.

    Raises a SafeguardError subclass if ``data`` is not a decodable image within limits.
    """
    image = decode_image(data, limits)
    digests = digests or digest_chunks([data])
    views = tuple((name, pdq_of_pixels(pixels)) for name, pixels in query_views(image.pixels))
    return ContentSignals(digests.md5, digests.sha256, views[0][1], views)
