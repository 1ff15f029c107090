"""Images and animations (``media/image.py``, ``media/animation.py``): decoded within the
caps, then hashed by every signal type for their content type, views included, as an
upload is screened."""

from __future__ import annotations

from contextlib import suppress

from fuzz.common import LIMITS
from safeguard.errors import SafeguardError
from safeguard.media.animation import ANIMATION
from safeguard.media.content import HEAD_BYTES
from safeguard.media.image import IMAGE
from safeguard.screening.signals import hash_content


def fuzz_one(data: bytes) -> None:
    chosen = ANIMATION if ANIMATION.accepts(data[:HEAD_BYTES]) else IMAGE
    with suppress(SafeguardError):
        hash_content(chosen.decode(data, LIMITS))
