"""NCMEC hash-sharing pages (``exchanges/ncmec_client.parse_page``): the XML an exchange
fetch reads, parsed without the DTD check the list import adds before it."""

from __future__ import annotations

from contextlib import suppress

from safeguard.errors import SafeguardError
from safeguard.exchanges.ncmec_client import parse_page


def fuzz_one(data: bytes) -> None:
    with suppress(SafeguardError):
        parse_page(data)
