"""The figures of a report, computed from ``Facts`` alone (no database): one function
per section. Counts are of the period's events; durations are measured from the rows the
events name (``docs/transparency.md`` says which figure comes from where)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

from safeguard import events as ev
from safeguard.events import RecordedEvent
from safeguard.moderation.decisions import Outcome
from safeguard.moderation.reports import Category, TargetKind
from safeguard.transparency.facts import Facts, ReportFact
from safeguard.transparency.kinds import AUTHORITY_KINDS
from safeguard.transparency.stats import Figures, counts, durations, precision

DECISIONS = ("allow", "block", "review")
ITEM_KINDS = ("account", "appeal", "conversation", "report", "screening")
DETECTORS = {
    "screening": "hash_match",
    "conversation": "conversation_model",
    "report": "user_report",
    "account": "age_assurance",
}
"""The detector behind each kind of review item (appeals detect nothing)."""
AUTHORITY_STATES = ("drafted", "confirmed", "submitted", "finished", "retracted")
CLOSING = (Outcome.CONFIRMED.value, Outcome.FALSE_POSITIVE.value)
"""The outcomes that settle a flagged item (escalation hands it on)."""
NOT_LOGGED = {
    "screenings.by_detection_method.classifier": (
        "the communication-safety classifier keeps no record of what it scores"
    ),
    "child_safety.policies_and_practices": (
        "the platform's policies and practices are the platform's to describe"
    ),
}
"""Figures a report names but cannot give, and why."""


def of_kind(facts: Facts, *kinds: str) -> list[RecordedEvent]:
    """The period's events of ``kinds``, oldest first."""
    found = [e for kind in kinds for e in facts.by_kind.get(kind, [])]
    return sorted(found, key=lambda e: e.id) if len(kinds) > 1 else found


def screenings(facts: Facts) -> Figures:
    """Screenings decided in the period; what detected content, by method."""
    decided = of_kind(facts, ev.ScreeningDecided.kind)
    matched = [e for e in decided if e.details["matches"] and e.details["decision"] != "allow"]
    signal_types = (
        t for e in matched for t in sorted({m["signal_type"] for m in e.details["matches"]})
    )
    return {
        "total": len(decided),
        "by_decision": counts((e.details["decision"] for e in decided), DECISIONS),
        "by_source": counts(e.details["source"] for e in decided),
        "by_signal_type": counts(signal_types),
        "by_detection_method": {
            "hash_match": len(matched),
            "classifier": None,
            "conversation_model": len(
                of_kind(facts, ev.ConversationFlagged.kind, ev.ConversationAgeCue.kind)
            ),
            "user_report": len(of_kind(facts, ev.ReportReceived.kind)),
        },
    }


def review(facts: Facts) -> Figures:
    """Review items opened and decided in the period, how fast, and each detector's
    measured precision."""
    start, end = facts.period.start, facts.period.end
    opened = [i.kind for i in facts.items.values() if start <= i.created_at < end]
    decided = of_kind(facts, ev.ReviewDecided.kind)
    times: dict[str, list[float]] = defaultdict(list)
    for event in decided:
        item = facts.items[event.subject]
        if event.details["outcome"] != Outcome.ESCALATED.value:
            times[item.kind].append((event.at - item.created_at).total_seconds())
    verdicts: dict[str, list[str]] = defaultdict(list)
    for item_id, outcome in standing_verdicts(facts).items():
        kind = facts.items[item_id].kind
        if kind in DETECTORS:
            verdicts[DETECTORS[kind]].append(outcome)
    every_time = [t for kind in sorted(times) for t in times[kind]]
    return {
        "opened": {"total": len(opened), "by_kind": counts(opened, ITEM_KINDS)},
        "decided": {
            "total": len(decided),
            "by_outcome": counts(
                (str(e.details["outcome"]) for e in decided), (o.value for o in Outcome)
            ),
        },
        "reversed": len(of_kind(facts, ev.ReviewReversed.kind)),
        "time_to_decision": durations(every_time)
        | {"by_kind": {kind: durations(times[kind]) for kind in sorted(times)}},
        "precision_by_detector": {
            detector: precision(
                verdicts[detector].count(Outcome.CONFIRMED.value),
                verdicts[detector].count(Outcome.FALSE_POSITIVE.value),
            )
            for detector in sorted(DETECTORS.values())
        },
    }


def standing_verdicts(facts: Facts) -> dict[str, str]:
    """Each item's confirmation or false positive of the period still standing at its
    end: a decision reversed later in the period (by an admin, or by a granted appeal)
    no longer counts, and an item decided again counts with its new decision."""
    standing: dict[str, str] = {}
    for event in of_kind(facts, ev.ReviewDecided.kind, ev.ReviewReversed.kind):
        outcome = str(event.details.get("outcome", ""))
        if event.kind == ev.ReviewReversed.kind:
            standing.pop(event.subject, None)
        elif outcome in CLOSING and event.subject in facts.items:
            standing[event.subject] = outcome
    return standing


def settled_reports(facts: Facts) -> Iterator[tuple[ReportFact, RecordedEvent]]:
    """Each user report settled in the period, with the decision that settled it: the
    first confirmation or false positive of its item after it came."""
    closing = [
        e
        for e in facts.earlier_decisions + of_kind(facts, ev.ReviewDecided.kind)
        if e.details["outcome"] in CLOSING
    ]
    for report in facts.reports:
        settling = next(
            (e for e in closing if e.subject == report.item_id and e.at >= report.created_at),
            None,
        )
        if settling is not None and settling.at >= facts.period.start:
            yield report, settling


def user_reports(facts: Facts) -> Figures:
    """User reports received and settled in the period."""
    received = of_kind(facts, ev.ReportReceived.kind)
    settled = list(settled_reports(facts))
    outcomes = [str(d.details["outcome"]) for _, d in settled]
    return {
        "received": len(received),
        "by_category": counts(
            (str(e.details["category"]) for e in received), (c.value for c in Category)
        ),
        "by_target_kind": counts(
            (str(e.details["target_kind"]) for e in received), (t.value for t in TargetKind)
        ),
        "decided": len(settled),
        "upheld": outcomes.count(Outcome.CONFIRMED.value),
        "rejected": outcomes.count(Outcome.FALSE_POSITIVE.value),
        "time_to_decision": durations([(d.at - r.created_at).total_seconds() for r, d in settled]),
    }


def appeals(facts: Facts) -> Figures:
    """Appeals received and decided in the period: upheld (the decision stands) or
    reversed."""
    decided = of_kind(facts, ev.AppealDecided.kind)
    outcomes = [str(e.details["outcome"]) for e in decided]
    waits = [(e.at - facts.appeals_received[e.subject]).total_seconds() for e in decided]
    return {
        "received": len(of_kind(facts, ev.AppealReceived.kind)),
        "decided": len(decided),
        "upheld": outcomes.count(Outcome.DENIED.value),
        "reversed": outcomes.count(Outcome.GRANTED.value),
        "time_to_decision": durations(waits),
    }


def reports_to_authorities(facts: Facts) -> Figures:
    """How many reports to each authority reached each state in the period."""
    by_authority: dict[str, list[str]] = defaultdict(list)
    for event in of_kind(facts, *AUTHORITY_KINDS):
        by_authority[str(event.details["authority"])].append(str(event.details["state"]))
    return {
        "by_authority": {
            name: counts(states, AUTHORITY_STATES) for name, states in sorted(by_authority.items())
        }
    }


def accounts(facts: Facts) -> Figures:
    """Age assurance, under-minimum-age accounts, actioned accounts and child-safety
    settings in the period."""
    assured = of_kind(facts, ev.AgeAssured.kind)
    by_method: dict[str, list[RecordedEvent]] = defaultdict(list)
    for event in assured:
        by_method[str(event.details["method"])].append(event)
    account_verdicts = [
        str(e.details["outcome"])
        for e in of_kind(facts, ev.ReviewDecided.kind)
        if facts.items[e.subject].kind == "account"
    ]
    users_reported = {
        d.subject
        for r, d in settled_reports(facts)
        if r.target_kind == TargetKind.USER.value
        and d.details["outcome"] == Outcome.CONFIRMED.value
    }
    changes = of_kind(facts, ev.AccountSettingChanged.kind)
    confirmed = account_verdicts.count(Outcome.CONFIRMED.value)
    return {
        "actioned": confirmed + len(users_reported),
        "age_assurance": {
            "total": len(assured),
            "by_method": {
                method: {
                    "total": len(found),
                    "highly_effective": sum(bool(e.details["highly_effective"]) for e in found),
                    "by_band": counts(str(e.details["band"]) for e in found),
                }
                for method, found in sorted(by_method.items())
            },
            "by_channel": counts(str(e.details["via"]) for e in assured),
        },
        "under_minimum_age": {
            "flagged": len(of_kind(facts, ev.AccountUnderMinimumAge.kind)),
            "confirmed": confirmed,
            "not_confirmed": account_verdicts.count(Outcome.FALSE_POSITIVE.value),
        },
        "settings_changed": {
            "turned_on": counts(str(e.details["setting"]) for e in changes if e.details["enabled"]),
            "turned_off": counts(
                str(e.details["setting"]) for e in changes if not e.details["enabled"]
            ),
            "by_who": counts(str(e.details["changed_by"]) for e in changes),
        },
    }


def banks(facts: Facts) -> Figures:
    """The deployment's hash lists: entries at the period's end, changes in it."""
    added = of_kind(facts, ev.BankEntriesAdded.kind)
    at_end = facts.banks.entries_at_end
    return {
        "entries_at_end": {"total": sum(at_end.values()), "by_signal_type": dict(at_end)},
        "added": {
            "total": sum(int(e.details["count"]) for e in added),
            "by_signal_type": dict(facts.banks.added_by_signal_type),
        },
        "disabled": {
            "entries": len(of_kind(facts, ev.BankEntryDisabled.kind)),
            "content_items": len(of_kind(facts, ev.ContentItemDisabled.kind)),
        },
        "enabled_again": {
            "entries": len(of_kind(facts, ev.BankEntryEnabled.kind)),
            "content_items": len(of_kind(facts, ev.ContentItemEnabled.kind)),
        },
        "entries_deleted": len(of_kind(facts, ev.BankEntryDeleted.kind)),
    }


def child_safety(figures: Figures) -> Figures:
    """A child-safety section in the shape of the Tech Coalition's TRUST template, from
    the other sections (before suppression): its processes and systems (detection and
    its measured precision, time to decision) and its outcomes. The third part,
    policies and practices, is the platform's to write (``not_available``)."""
    detected = figures["screenings"]["by_detection_method"]
    proactive = detected["hash_match"] + detected["conversation_model"]
    flagged = proactive + detected["user_report"]
    measured = figures["review"]["precision_by_detector"]
    timing = figures["review"]["time_to_decision"]
    return {
        "processes_and_systems": {
            "detection_precision": {
                name: {"n": measured[name]["n"], "precision": measured[name]["precision"]}
                for name in ("hash_match", "conversation_model")
            },
            "time_to_decision": {k: timing[k] for k in ("n", "median_seconds", "p90_seconds")},
        },
        "outcomes": {
            "detections": {
                "proactive": proactive,
                "user_reported": detected["user_report"],
                "proactive_share": round(proactive / flagged, 4) if flagged else None,
            },
            "known_material_matched": detected["hash_match"],
            "grooming_risk_flags": detected["conversation_model"],
            "content_confirmed": measured["hash_match"]["confirmed"],
            "reports_to_authorities_sent": {
                name: states["finished"]
                for name, states in figures["reports_to_authorities"]["by_authority"].items()
            },
            "accounts_actioned": figures["accounts"]["actioned"],
            "under_minimum_age_accounts_confirmed": figures["accounts"]["under_minimum_age"][
                "confirmed"
            ],
            "appeals_reversed": figures["appeals"]["reversed"],
        },
    }


LONGEST_DAILY = timedelta(days=92)
"""Periods up to this long are charted by day, longer ones by month."""
SERIES = {
    "screenings": (ev.ScreeningDecided.kind,),
    "detections": (ev.ConversationFlagged.kind, ev.ConversationAgeCue.kind),
    "user_reports": (ev.ReportReceived.kind,),
    "review_decisions": (ev.ReviewDecided.kind,),
    "appeals": (ev.AppealReceived.kind,),
}
"""The series of the volumes over time, by the events they count."""


def volumes(facts: Facts) -> Figures:
    """Events per day (per month for long periods) of each series, every bucket of the
    period present."""
    daily = facts.period.end - facts.period.start <= LONGEST_DAILY
    fmt = "%Y-%m-%d" if daily else "%Y-%m"
    day, last = facts.period.start.date(), (facts.period.end - timedelta.resolution).date()
    buckets: list[str] = []
    while day <= last:
        if day.strftime(fmt) not in buckets:
            buckets.append(day.strftime(fmt))
        day += timedelta(days=1)
    return {
        "bucket": "day" if daily else "month",
        "series": {
            name: counts((e.at.strftime(fmt) for e in of_kind(facts, *kinds)), buckets)
            for name, kinds in SERIES.items()
        },
    }
