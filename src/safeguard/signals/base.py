"""What every signal type provides (in the spirit of python-threatexchange's ``SignalType``).

A signal type is one way to fingerprint content: it names itself, says which content types
it applies to, validates and compares its values, hashes content into values, and makes
the index its values are searched in. MD5, SHA-256 and PDQ are one module each; a
third-party package adds another by registering an object that satisfies ``SignalType``
under the ``safeguard.signal_types`` entry point (``signals/registry.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from safeguard.errors import InvalidSignal

if TYPE_CHECKING:
    from safeguard.index.base import ValueIndex
    from safeguard.media.content import Content

ORIGINAL_VIEW = "original"
"""The view name of a value hashed from the content as it is."""

FRAME_MARK = "@"
"""Joins a view's name and a frame number, for views of one frame of an animation
(``original@3``, ``trimmed@3``)."""


@dataclass(frozen=True)
class SignalValue:
    """One value hashed from content: its quality (0..100, None where the signal type has
    no such measure) and the view of the content that produced it."""

    value: str
    quality: int | None = None
    view: str = ORIGINAL_VIEW


@runtime_checkable
class SignalType(Protocol):
    """A kind of content fingerprint: how values are made, checked, compared and indexed."""

    name: str
    """Lowercase, unique: the ``signal_type`` of entries, lookups and matches."""

    @property
    def content_types(self) -> frozenset[str]:
        """The content types (``media/content.py``) it hashes."""
        ...

    default_threshold: int
    """The distance within which values match, for banks that set no threshold."""
    max_threshold: int
    """The largest threshold a bank may set. 0 marks an exact signal type: its values are
    looked up by equality in the database, and ``new_index`` gives None."""
    has_quality: bool
    """Whether hashed values carry a quality."""
    examples: tuple[str, ...]
    """Valid, normalised values, for tests."""

    def normalise(self, value: str) -> str:
        """``value`` in its one canonical form; InvalidSignal if it is not a valid value."""
        ...

    def check_bank_value(self, value: str) -> str:
        """A normalised value if it may go in a bank; InvalidSignal if no content could
        have it (values that would match everything or nothing)."""
        ...

    def distance(self, a: str, b: str) -> int:
        """How far apart two normalised values are (0: equal)."""
        ...

    def hash_content(self, content: Content, *, views: bool = True) -> Sequence[SignalValue]:
        """The content's own value first, then (with ``views``) the values of views of it
        that undo edits, to look up as well."""
        ...

    def new_index(self) -> ValueIndex | None:
        """An empty in-memory index for values within a distance; None for exact signal
        types, whose values are looked up by equality in the database."""
        ...


@runtime_checkable
class StructuredValues(Protocol):
    """A signal type whose values are shown as JSON structures, not as their text (vPDQ's
    frame lists)."""

    def json_value(self, value: str) -> object:
        """A normalised value in its JSON form."""
        ...


@runtime_checkable
class LookupForms(Protocol):
    """An exact signal type whose queried values match listed values other than
    themselves (a URL is covered by a listed prefix; a phrase holds listed keywords).
    Its queried values are text a user wrote: they are matched, never recorded."""

    def lookup_forms(self, value: str) -> Sequence[SignalValue]:
        """The normalised values to look up by equality for a queried ``value`` (itself
        first); InvalidSignal if it is not a valid value."""
        ...


@dataclass(frozen=True)
class HexFormat:
    """Values that travel as fixed-length lowercase hex."""

    signal_type: str
    hex_length: int

    def normalise(self, value: str) -> str:
        """Validate a hex value and return it lowercase; raise InvalidSignal otherwise."""
        if not isinstance(value, str):
            raise InvalidSignal(f"{self.signal_type} value must be a string")
        cleaned = value.strip().lower()
        if len(cleaned) != self.hex_length or not _HEX.fullmatch(cleaned):
            shown = cleaned if len(cleaned) <= 80 else cleaned[:77] + "..."
            raise InvalidSignal(
                f"invalid {self.signal_type} value {shown!r}: "
                f"expected {self.hex_length} hex characters"
            )
        return cleaned


_HEX = re.compile(r"[0-9a-f]+")
