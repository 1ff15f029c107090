"""Videos (``media/video.py``): any bytes opened as a video within the caps, every frame
decoded and the sampled ones hashed (without views: the image harness covers those)."""

from __future__ import annotations

from contextlib import suppress

from fuzz.common import LIMITS
from safeguard.errors import SafeguardError
from safeguard.media.video import VIDEO
from safeguard.screening.signals import hash_content


def fuzz_one(data: bytes) -> None:
    with suppress(SafeguardError):
        hash_content(VIDEO.decode(data, LIMITS), views=False)
