"""What a report is computed from, as plain values: the period's events and the facts
of the rows they name. ``service.py`` reads them; ``sections.py`` computes figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from safeguard.events import RecordedEvent
from safeguard.transparency.period import Period


@dataclass(frozen=True)
class ItemFact:
    """A review item's kind, client and when it was opened."""

    kind: str
    client: str
    created_at: datetime


@dataclass(frozen=True)
class ReportFact:
    """A user report (its category and target's kind, when it came), by the review
    item it joined."""

    item_id: str
    category: str
    target_kind: str
    created_at: datetime


@dataclass(frozen=True)
class BankFacts:
    """The banks' entries: enabled at the period's end and added in it, by signal type."""

    entries_at_end: dict[str, int]
    added_by_signal_type: dict[str, int]


@dataclass(frozen=True)
class Facts:
    """Everything a report of ``period`` is computed from.

    ``events``: the period's events, oldest first (of the report's client, if any, plus
    the deployment's bank events). ``items``: the review items they name and those
    opened in the period. ``earlier_decisions``: ``review.decided`` events before the
    period of the items decided in it (to tell which reports a decision settled).
    ``reports``: the user reports, up to the period's end, of the items decided in it.
    ``appeals_received``: when each appeal decided in the period was received.
    """

    period: Period
    client: str | None
    events: list[RecordedEvent]
    items: dict[str, ItemFact]
    earlier_decisions: list[RecordedEvent]
    reports: list[ReportFact]
    appeals_received: dict[str, datetime]
    banks: BankFacts

    @cached_property
    def by_kind(self) -> dict[str, list[RecordedEvent]]:
        """The period's events grouped by kind, each oldest first."""
        grouped: dict[str, list[RecordedEvent]] = defaultdict(list)
        for event in self.events:
            grouped[event.kind].append(event)
        return dict(grouped)
