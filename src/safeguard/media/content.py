"""Content types: how the bytes of an upload become something signal types can hash.

A content type recognises its bytes from their first few and decodes them within the
caps of ``DecodeLimits``: animated GIF, PNG and WebP (``media/animation.py``, which hands
stills to the image type), images (``media/image.py``) and videos (``media/video.py``),
asked in that order. Third-party packages may add one under the ``safeguard.content_types`` entry
point. Bytes no content type recognises go to the default (image) decoder, which names
what it refused and why.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol, runtime_checkable

from safeguard.media.decode import DecodeLimits, check_size
from safeguard.plugins import load_plugins

HEAD_BYTES = 64
"""How many leading bytes ``ContentType.accepts`` is shown."""


class Content(Protocol):
    """Decoded content: its type's name and the bytes it was decoded from."""

    @property
    def content_type(self) -> str: ...

    @property
    def data(self) -> bytes: ...


@runtime_checkable
class ContentType(Protocol):
    """A kind of content: recognised from its leading bytes, decoded within caps."""

    name: str

    def accepts(self, head: bytes) -> bool:
        """Whether bytes starting with ``head`` are of this type."""
        ...

    def decode(self, data: bytes, limits: DecodeLimits) -> Content:
        """The decoded content; a SafeguardError subclass if ``data`` is not usable."""
        ...


@cache
def content_types() -> dict[str, ContentType]:
    """Every content type by name: Safeguard's own, then those of installed plugins."""
    from safeguard.media.animation import ANIMATION
    from safeguard.media.image import IMAGE
    from safeguard.media.video import VIDEO

    return load_plugins("safeguard.content_types", [ANIMATION, IMAGE, VIDEO], ContentType)


def decode_content(data: bytes, limits: DecodeLimits) -> Content:
    """``data`` decoded by the content type that recognises it (the image decoder if none
    does); a SafeguardError subclass if it is empty, too large or not usable."""
    check_size(len(data), limits, cap=limits.largest_bytes)
    head = data[:HEAD_BYTES]
    types = content_types()
    chosen = next((t for t in types.values() if t.accepts(head)), types["image"])
    return chosen.decode(data, limits)
