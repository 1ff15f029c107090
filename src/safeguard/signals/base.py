"""What every signal type provides: a name, a matching kind and a value codec."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from safeguard.errors import InvalidSignal


class MatchKind(StrEnum):
    """How values of a signal type are compared."""

    EXACT = "exact"
    HAMMING = "hamming"


@dataclass(frozen=True)
class HexSignalType:
    """A signal whose values travel as fixed-length lowercase hex."""

    name: str
    hex_length: int
    kind: MatchKind

    def normalise(self, value: str) -> str:
        """Validate a hex value and return it lowercase; raise InvalidSignal otherwise."""
        if not isinstance(value, str):
            raise InvalidSignal(f"{self.name} value must be a string")
        cleaned = value.strip().lower()
        if len(cleaned) != self.hex_length or not _HEX.fullmatch(cleaned):
            shown = cleaned if len(cleaned) <= 80 else cleaned[:77] + "..."
            raise InvalidSignal(
                f"invalid {self.name} value {shown!r}: expected {self.hex_length} hex characters"
            )
        return cleaned


_HEX = re.compile(r"[0-9a-f]+")
