"""URLs (``signals/url.py``): a URL that normalises has a normal form that normalises to
itself, and lookup forms."""

from __future__ import annotations

from contextlib import suppress

from fuzz.common import as_text
from safeguard.errors import SafeguardError
from safeguard.signals.url import URL, normalise_url


def fuzz_one(data: bytes) -> None:
    with suppress(SafeguardError):
        normal = normalise_url(as_text(data))
        assert normalise_url(normal) == normal, f"not idempotent: {normal!r}"
        URL.lookup_forms(normal)
