"""Settings and database for one CLI invocation."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from safeguard.config import Settings

if TYPE_CHECKING:
    from safeguard.media.decode import DecodeLimits
    from safeguard.services import Services
    from safeguard.store.db import Database

# Who the event log names for changes made with the CLI.
ACTOR = "cli"


@cache
def settings() -> Settings:
    return Settings.from_env()


def limits() -> DecodeLimits:
    from safeguard.media.decode import DecodeLimits

    return DecodeLimits.from_settings(settings())


def bank_limits() -> DecodeLimits:
    """The caps for hashing into a bank: a video's frames as densely as banks hold them."""
    from safeguard.media.decode import DecodeLimits

    return DecodeLimits.from_settings(settings(), banking=True)


@cache
def services() -> Services:
    """The services over the configured database (migrated first unless
    SAFEGUARD_AUTO_MIGRATE is off), built as the API builds them."""
    from safeguard.services import Services

    return Services(settings())


def database() -> Database:
    return services().db
