"""Every exchange adapter: Safeguard's own, then those installed packages register under
the ``safeguard.exchanges`` entry point (each naming an ``ExchangeAdapter`` object)."""

from __future__ import annotations

from functools import cache

from safeguard.errors import ConfigError
from safeguard.exchanges.base import ExchangeAdapter
from safeguard.exchanges.hma import HMA
from safeguard.exchanges.local_file import LOCAL_FILE
from safeguard.exchanges.ncmec import NCMEC
from safeguard.exchanges.stopncii import STOP_NCII
from safeguard.exchanges.threatexchange import THREATEXCHANGE
from safeguard.plugins import load_plugins

ENTRY_POINT_GROUP = "safeguard.exchanges"


@cache
def adapters() -> dict[str, ExchangeAdapter]:
    """Every adapter by name, loaded once per process."""
    return load_plugins(
        ENTRY_POINT_GROUP, [LOCAL_FILE, NCMEC, HMA, THREATEXCHANGE, STOP_NCII], ExchangeAdapter
    )


def adapter(name: str) -> ExchangeAdapter:
    """The adapter called ``name``; ConfigError naming the known ones otherwise."""
    found = adapters().get(name.strip().lower())
    if found is None:
        raise ConfigError(
            f"unknown exchange adapter {name!r} (known: {', '.join(sorted(adapters()))})"
        )
    return found
