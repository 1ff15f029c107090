"""A transparency report: the sections of ``sections.py`` for a period, the query that
made it, and the small counts it suppressed."""

from __future__ import annotations

import hashlib
from typing import Any

from safeguard.store.db import Database
from safeguard.transparency import sections
from safeguard.transparency.facts import Facts
from safeguard.transparency.kinds import REPORT_KINDS
from safeguard.transparency.period import Period
from safeguard.transparency.service import load_facts
from safeguard.transparency.stats import Figures, suppress

SCHEMA = "safeguard.transparency/1"
SECTIONS = (
    ("screenings", sections.screenings),
    ("review", sections.review),
    ("user_reports", sections.user_reports),
    ("appeals", sections.appeals),
    ("reports_to_authorities", sections.reports_to_authorities),
    ("accounts", sections.accounts),
    ("banks", sections.banks),
    ("volumes", sections.volumes),
)


def compute(facts: Facts) -> Figures:
    """Every section of the report, exact (nothing suppressed)."""
    figures: Figures = {name: section(facts) for name, section in SECTIONS}
    figures["child_safety"] = sections.child_safety(figures)
    return figures


def query_record(facts: Facts, min_count: int) -> dict[str, Any]:
    """What made the report: its parameters and a digest of the events it read."""
    listed = "\n".join(f"{e.id}:{e.kind}" for e in facts.events)
    return {
        "schema": SCHEMA,
        "from": facts.period.start.isoformat(),
        "to": facts.period.end.isoformat(),
        "client": facts.client,
        "min_count": min_count,
        "event_kinds": sorted(REPORT_KINDS),
        "events": {
            "count": len(facts.events),
            "first_id": facts.events[0].id if facts.events else None,
            "last_id": facts.events[-1].id if facts.events else None,
            "sha256": hashlib.sha256(listed.encode()).hexdigest(),
        },
    }


def publish(facts: Facts, min_count: int) -> Figures:
    """The report of ``facts`` as published: counts from 1 to ``min_count - 1``
    suppressed, the query and the suppressed paths recorded."""
    shown = compute(facts)
    hidden = suppress(shown, min_count)
    figures: Figures = {
        "period": facts.period.as_dict(),
        "query": query_record(facts, min_count),
        **shown,
        "suppressed": hidden,
        "not_available": dict(sections.NOT_LOGGED),
    }
    return figures


def build_report(db: Database, period: Period, client: str | None, min_count: int) -> Figures:
    """The report of ``period`` (of ``client``'s records, or every client's)."""
    return publish(load_facts(db, period, client), min_count)
