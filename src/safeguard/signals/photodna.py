"""PhotoDNA values: stored and matched by Safeguard, hashed only by a licensee's plug-in.

PhotoDNA is Microsoft's proprietary image hash, licensed to vetted organisations under
terms that forbid redistribution; its algorithm is not public. Safeguard cannot ship it
and includes none of it. What it can do without the algorithm:

* store and look up values: a value is the 144-byte vector, accepted as 288 hex
  characters, 192 base64 characters or 144 comma-separated numbers (0-255), kept as
  lowercase hex;
* match them **exactly**: Microsoft publishes no matching distance or threshold.
  Published research compares the vectors by Euclidean distance (Steinebach, "Efficient
  Hash Lookup for PhotoDNA", Electronic Imaging 2024), which ``distance`` reports, but
  the threshold is the licensee's to set, so banks match by equality (``max_threshold``
  0), never by a guessed radius;
* hash uploads, once a package holding the licence registers a ``PhotoDNAHasher`` under
  the ``safeguard.photodna_hashers`` entry point. Without one the type hashes nothing.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from safeguard.errors import ConfigError, InvalidSignal, UnsupportedMedia
from safeguard.plugins import load_plugins
from safeguard.signals.base import HexFormat, SignalValue

if TYPE_CHECKING:
    from safeguard.index.base import ValueIndex
    from safeguard.media.content import Content

VECTOR_BYTES = 144
HASHER_GROUP = "safeguard.photodna_hashers"


@runtime_checkable
class PhotoDNAHasher(Protocol):
    """A licensee's PhotoDNA implementation, registered under ``HASHER_GROUP``."""

    name: str

    def hash_bytes(self, data: bytes) -> bytes:
        """The 144-byte PhotoDNA vector of an image file's bytes."""
        ...


def installed_hasher() -> PhotoDNAHasher | None:
    """The one hasher installed packages register, if any (ConfigError for several)."""
    none: list[PhotoDNAHasher] = []
    hashers = load_plugins(HASHER_GROUP, none, PhotoDNAHasher)
    if len(hashers) > 1:
        raise ConfigError(f"several PhotoDNA hashers are installed: {', '.join(hashers)}")
    return next(iter(hashers.values()), None)


class PhotoDNASignal:
    """PhotoDNA vectors, looked up by equality in the database."""

    name = "photodna"
    default_threshold = 0
    max_threshold = 0
    has_quality = False
    examples = ("00" * VECTOR_BYTES, bytes(range(VECTOR_BYTES)).hex())

    def __init__(self, find_hasher: Callable[[], PhotoDNAHasher | None] = installed_hasher):
        self._find_hasher = find_hasher
        self._hex = HexFormat(self.name, 2 * VECTOR_BYTES)

    @cached_property
    def hasher(self) -> PhotoDNAHasher | None:
        """The licensee's hasher, looked for once."""
        return self._find_hasher()

    @property
    def content_types(self) -> frozenset[str]:
        """Images when a licensee's hasher is installed; nothing otherwise."""
        return frozenset({"image"}) if self.hasher is not None else frozenset()

    def normalise(self, value: str) -> str:
        if isinstance(value, str):
            text = value.strip()
            if len(text) == 4 * VECTOR_BYTES // 3:
                return _from_base64(text).hex()
            if "," in text:
                return _from_numbers(text).hex()
        return self._hex.normalise(value)

    def check_bank_value(self, value: str) -> str:
        return value

    def distance(self, a: str, b: str) -> int:
        """The Euclidean distance of the two vectors, rounded down (0 only if equal)."""
        pairs = zip(bytes.fromhex(a), bytes.fromhex(b), strict=True)
        return math.isqrt(sum((x - y) ** 2 for x, y in pairs))

    def hash_content(self, content: Content, *, views: bool = True) -> Sequence[SignalValue]:
        hasher = self.hasher
        if hasher is None or content.content_type not in self.content_types:
            raise UnsupportedMedia(
                "photodna values come from a licensed PhotoDNA plug-in "
                f"({HASHER_GROUP}); none hashes {content.content_type} content here"
            )
        vector = hasher.hash_bytes(content.data)
        if len(vector) != VECTOR_BYTES:
            raise ConfigError(f"the PhotoDNA hasher {hasher.name!r} gave {len(vector)} bytes")
        return [SignalValue(vector.hex())]

    def new_index(self) -> ValueIndex | None:
        return None


def _from_base64(text: str) -> bytes:
    try:
        vector = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        vector = b""
    if len(vector) != VECTOR_BYTES:
        raise InvalidSignal("invalid photodna value: not base64 of 144 bytes")
    return vector


def _from_numbers(text: str) -> bytes:
    parts = [part.strip() for part in text.split(",")]
    numbers = [int(p) for p in parts if p.isascii() and p.isdigit()]
    if len(parts) != VECTOR_BYTES or len(numbers) != VECTOR_BYTES or max(numbers) > 255:
        raise InvalidSignal("invalid photodna value: expected 144 numbers from 0 to 255")
    return bytes(numbers)


PHOTODNA = PhotoDNASignal()
