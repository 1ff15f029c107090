"""Every signal type: Safeguard's own, then those installed packages register under the
``safeguard.signal_types`` entry point (each naming an object that satisfies
``SignalType``)."""

from __future__ import annotations

from functools import cache

from safeguard.errors import InvalidSignal
from safeguard.plugins import load_plugins
from safeguard.signals.base import SignalType
from safeguard.signals.keyword import KEYWORD
from safeguard.signals.md5 import MD5, VIDEO_MD5
from safeguard.signals.pdq import PDQ
from safeguard.signals.sha256 import SHA256
from safeguard.signals.url import URL
from safeguard.signals.vpdq import VPDQ

ENTRY_POINT_GROUP = "safeguard.signal_types"


@cache
def signal_types() -> dict[str, SignalType]:
    """Every signal type by name, loaded once per process."""
    return load_plugins(
        ENTRY_POINT_GROUP, [MD5, VIDEO_MD5, SHA256, PDQ, VPDQ, URL, KEYWORD], SignalType
    )


def signal_type(name: str) -> SignalType:
    """The signal type called ``name``; raise InvalidSignal for an unknown one."""
    types = signal_types()
    try:
        return types[name.strip().lower()]
    except (KeyError, AttributeError):
        known = ", ".join(sorted(types))
        raise InvalidSignal(f"unknown signal type {name!r} (known: {known})") from None


def for_content(content_type: str) -> list[SignalType]:
    """The signal types that hash content of ``content_type``."""
    return [t for t in signal_types().values() if content_type in t.content_types]


def indexed() -> list[SignalType]:
    """The signal types matched by distance in memory (not by equality in the database)."""
    return [t for t in signal_types().values() if t.max_threshold > 0]
