"""The period a report covers, [start, end), from the dates or times people type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from safeguard.errors import BadRequest


@dataclass(frozen=True)
class Period:
    """From ``start`` (included) to ``end`` (excluded), both in UTC."""

    start: datetime
    end: datetime

    def as_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def parse_moment(text: str, name: str) -> datetime:
    """A date (its midnight) or an ISO 8601 time, in UTC (a time without offset is taken
    as UTC); BadRequest naming ``name`` otherwise."""
    value = text.strip()
    try:
        if len(value) == len("2025-01-01"):
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_period(start: str, end: str) -> Period:
    """The period from ``start`` to ``end``; BadRequest for bad dates or an end that is
    not after the start."""
    period = Period(parse_moment(start, "from"), parse_moment(end, "to"))
    if period.end <= period.start:
        raise BadRequest("the period must end after it starts ('to' after 'from')")
    return period
