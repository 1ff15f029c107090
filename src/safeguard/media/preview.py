"""Previews for moderators: content re-encoded as a small JPEG.

The browser never receives the uploaded bytes themselves, only fresh pixels in one plain
format, scaled down: whatever else the upload carried (metadata, a second format hidden
in the same file) stays in the evidence vault.
"""

from __future__ import annotations

import io

from PIL import Image

from safeguard.media.decode import DecodeLimits, decode_image

PREVIEW_SIDE = 1024
PREVIEW_TYPE = "image/jpeg"


def image_preview(data: bytes, limits: DecodeLimits, side: int = PREVIEW_SIDE) -> bytes:
    """A JPEG of the image in ``data``, its longer side at most ``side`` pixels; a
    SafeguardError subclass if ``data`` is no image within ``limits``."""
    decoded = decode_image(data, limits)
    picture = Image.fromarray(decoded.pixels)
    picture.thumbnail((side, side))
    out = io.BytesIO()
    picture.convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue()
