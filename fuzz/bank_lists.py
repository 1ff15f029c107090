"""Hash lists (``banks/formats/``, the CSV reader of ``banks/csv_format.py``): the same
bytes read whole by every import format, as ``safeguard bank import`` reads a file."""

from __future__ import annotations

import io
from contextlib import suppress

from safeguard.banks.formats import FormatName, list_format
from safeguard.errors import SafeguardError

FORMATS = [list_format(name) for name in FormatName]


def fuzz_one(data: bytes) -> None:
    for form in FORMATS:
        with suppress(SafeguardError):
            for _ in form.read(io.BytesIO(data)):
                pass
