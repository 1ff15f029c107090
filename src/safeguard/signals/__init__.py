"""Signal types: how content is fingerprinted and how fingerprints are compared.

One module per signal type; this registry is the only place that lists them.
"""

from __future__ import annotations

from safeguard.errors import InvalidSignal
from safeguard.signals.base import HexSignalType, MatchKind

MD5 = HexSignalType("md5", 32, MatchKind.EXACT)
SHA256 = HexSignalType("sha256", 64, MatchKind.EXACT)
PDQ = HexSignalType("pdq", 64, MatchKind.HAMMING)

SIGNAL_TYPES: dict[str, HexSignalType] = {t.name: t for t in (MD5, SHA256, PDQ)}


def signal_type(name: str) -> HexSignalType:
    """The signal type called ``name``; raise InvalidSignal for an unknown one."""
    try:
        return SIGNAL_TYPES[name.strip().lower()]
    except (KeyError, AttributeError):
        known = ", ".join(sorted(SIGNAL_TYPES))
        raise InvalidSignal(f"unknown signal type {name!r} (known: {known})") from None


__all__ = ["MD5", "PDQ", "SHA256", "SIGNAL_TYPES", "HexSignalType", "MatchKind", "signal_type"]
