"""The key entries are found and kept unique by: a digest of the value, so that values of
any length fit one database index."""

from __future__ import annotations

import hashlib


def value_digest(value: str) -> str:
    """The SHA-256 (hex) of a normalised signal value's UTF-8 bytes."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
