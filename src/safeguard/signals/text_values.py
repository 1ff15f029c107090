"""What the signal types of text (URLs, keywords) share: exact values that come from
text a client sends, never from uploaded content."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from safeguard.errors import UnsupportedMedia
from safeguard.signals.base import SignalValue

if TYPE_CHECKING:
    from safeguard.index.base import ValueIndex
    from safeguard.media.content import Content


class TextSignal:
    """An exact signal type of text: looked up by equality in the database, hashing no
    content type."""

    name: str
    default_threshold = 0
    max_threshold = 0
    has_quality = False

    @property
    def content_types(self) -> frozenset[str]:
        """None: values come from text and lookups, not from uploaded content."""
        return frozenset()

    def check_bank_value(self, value: str) -> str:
        return value

    def distance(self, a: str, b: str) -> int:
        return 0 if a == b else 1

    def hash_content(self, content: Content, *, views: bool = True) -> Sequence[SignalValue]:
        raise UnsupportedMedia(f"{self.name} values come from text, not from uploaded content")

    def new_index(self) -> ValueIndex | None:
        return None
