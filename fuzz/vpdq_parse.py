"""vPDQ values (``signals/vpdq.py``), in the reference's lines or as a JSON list: a value
that parses normalises to a value that normalises to itself, and is comparable."""

from __future__ import annotations

from contextlib import suppress

from fuzz.common import as_text
from safeguard.errors import SafeguardError
from safeguard.signals.vpdq import VPDQ


def fuzz_one(data: bytes) -> None:
    with suppress(SafeguardError):
        normal = VPDQ.normalise(as_text(data))
        assert VPDQ.normalise(normal) == normal, f"not idempotent: {normal!r}"
        VPDQ.distance(normal, normal)
        VPDQ.check_bank_value(normal)
