"""Settings and database for one CLI invocation."""

from __future__ import annotations

from functools import cache

from safeguard.config import Settings
from safeguard.media.decode import DecodeLimits
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade


@cache
def settings() -> Settings:
    return Settings.from_env()


def limits() -> DecodeLimits:
    return DecodeLimits.from_settings(settings())


@cache
def database() -> Database:
    """The configured database, migrated first unless SAFEGUARD_AUTO_MIGRATE is off."""
    if settings().auto_migrate:
        upgrade(settings().database_url)
    return Database(settings().database_url)
