"""What the harnesses share: the caps of a default configuration and how bytes become
the text a parser is handed."""

from __future__ import annotations

from safeguard.config import Settings
from safeguard.media.decode import DecodeLimits

LIMITS = DecodeLimits.from_settings(Settings.from_env({}))
"""The decoding caps of a service started without ``SAFEGUARD_`` settings."""


def as_text(data: bytes) -> str:
    """``data`` as text; bytes that are not UTF-8 become lone surrogates, as a JSON body's
    ``\\udc80`` escapes would."""
    return data.decode("utf-8", errors="surrogateescape")
