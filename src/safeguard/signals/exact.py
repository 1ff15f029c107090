"""Signal types that match byte-identical content by a cryptographic digest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from safeguard.errors import UnsupportedMedia
from safeguard.media.content import Content, content_types
from safeguard.signals.base import HexFormat, SignalValue

if TYPE_CHECKING:
    from safeguard.index.base import ValueIndex


class DigestSignal:
    """A digest of the content's bytes, looked up by equality in the database."""

    default_threshold = 0
    max_threshold = 0
    has_quality = False

    def __init__(
        self,
        name: str,
        digest: Callable[[bytes], str],
        examples: tuple[str, ...],
        only: frozenset[str] | None = None,
    ) -> None:
        """``only``: the content types it hashes (default: every one)."""
        self.name = name
        self._only = only
        self.examples = examples
        self._digest = digest
        self._format = HexFormat(name, len(examples[0]))

    @property
    def content_types(self) -> frozenset[str]:
        """Every content type (any bytes have a digest), or those it was made for."""
        return self._only if self._only is not None else frozenset(content_types())

    def normalise(self, value: str) -> str:
        return self._format.normalise(value)

    def check_bank_value(self, value: str) -> str:
        return value

    def distance(self, a: str, b: str) -> int:
        return 0 if a == b else 1

    def hash_content(self, content: Content, *, views: bool = True) -> Sequence[SignalValue]:
        if content.content_type not in self.content_types:
            raise UnsupportedMedia(f"{self.name} hashes {', '.join(sorted(self.content_types))}")
        return [SignalValue(self._digest(content.data))]

    def new_index(self) -> ValueIndex | None:
        return None
