"""What an API key may do: its scopes (plain values, light to import for the CLI)."""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    """What a key may do for its client."""

    SCREEN = "screen"
    """Screen and look up content, read screenings, send and read conversations, read
    review items."""
    BANKS = "banks"
    """Manage the hash lists: everything under /v1/banks."""
    ADMIN = "admin"
    """Manage keys, users and settings (no API endpoint needs it yet)."""


DEFAULT_SCOPES = (Scope.SCREEN,)
"""A new key's scopes unless told otherwise: least privilege."""
