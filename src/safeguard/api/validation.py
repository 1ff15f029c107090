"""Types that validate input at the API's edge, so bad values answer 422, never 500.

Databases refuse what Python accepts: PostgreSQL text cannot hold NUL characters, its
integers stop at 64 bits, and a time with an offset can fall outside years 1-9999 once
turned into UTC. Every text field, id and time the API takes goes through these.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator

from safeguard.store.limits import MAX_INT64 as MAX_INT64


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _utc(value: datetime) -> datetime:
    """The time in UTC; a time without an offset is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is outside the years 1 to 9999 in UTC") from None


Text = Annotated[str, AfterValidator(_no_nul)]
"""Any text a client sends: ids, names, messages (no NUL characters)."""

UtcDateTime = Annotated[datetime, AfterValidator(_utc)]
"""An ISO 8601 time, turned into UTC."""


def check_text(value: str) -> str:
    """``Text``'s rule for values read outside pydantic (form fields); ValueError if bad."""
    return _no_nul(value)
