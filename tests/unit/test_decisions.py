"""Claiming and deciding review items, on SQLite and PostgreSQL: one claimer at a time
(even at once from two threads), roles, reasons, false positives into a safelist,
escalation, reversal, and the events of each."""

from __future__ import annotations

import threading

import pytest

from safeguard import events
from safeguard.banks import catalog
from safeguard.banks.models import BankAction, BankKind, BankSpec, NewEntry
from safeguard.errors import BadRequest, Conflict, Forbidden, SafeguardError
from safeguard.moderation import decisions, people
from safeguard.moderation.decisions import Outcome
from safeguard.moderation.people import Role, UserView
from safeguard.moderation.queue import QueueFilter, get_item, list_queue
from safeguard.screening.policy import Decision
from safeguard.screening.service import Requester, Screener
from safeguard.store.db import Database

MD5 = "5dc1441dd7a12fa79f2a43b1ebc93eab"
PASSWORD = "correct horse battery staple"
REASON = "the picture is a holiday photo, not the listed item"


pytestmark = pytest.mark.usefixtures("quick_passwords")


def user(db: Database, name: str, role: Role) -> UserView:
    return people.create_user(db, name, PASSWORD, role, "cli")


def screen(db: Database) -> Decision:
    return Screener(db, 50).lookup({"md5": MD5}, Requester("platform-a", "lookup")).decision


@pytest.fixture
def item_id(db: Database) -> str:
    """A review item: a lookup of MD5, held by a review bank."""
    catalog.create_bank(db, BankSpec("check-these", BankAction.REVIEW), "platform-a")
    catalog.add_entry(db, "check-these", NewEntry("md5", MD5), "platform-a")
    assert screen(db) is Decision.REVIEW
    [item] = list_queue(db)
    return item.id


def logged(db: Database, *kinds: str) -> list[tuple[str, str, str, dict[str, object]]]:
    with db.read_session() as session:
        found = events.read_events(session, kinds=list(kinds))
    return [(e.kind, e.client, e.subject, e.details) for e in found]


def test_one_claimer_at_a_time(db: Database, item_id: str) -> None:
    mo, max_ = user(db, "mo", Role.MODERATOR), user(db, "max", Role.MODERATOR)
    claimed = decisions.claim(db, item_id, mo)
    assert claimed.claimed_by == "mo" and claimed.claimed_at is not None
    assert decisions.claim(db, item_id, mo).claimed_by == "mo"  # again: nothing changes
    with pytest.raises(Conflict, match="claimed by mo"):
        decisions.claim(db, item_id, max_)
    with pytest.raises(Conflict, match="claimed by mo"):
        decisions.decide(db, item_id, max_, Outcome.CONFIRMED, REASON)
    with pytest.raises(Conflict, match="claimed by mo"):
        decisions.release(db, item_id, max_)
    assert get_item(db, item_id).claimed_by == "mo"
    assert [i.claimed_by for i in list_queue(db)] == ["mo"]
    assert decisions.release(db, item_id, mo).claimed_by is None
    assert decisions.claim(db, item_id, max_).claimed_by == "max"
    assert [
        (kind, actor) for kind, actor, _, _ in logged(db, "review.claimed", "review.released")
    ] == [
        ("review.claimed", "mo"),
        ("review.released", "mo"),
        ("review.claimed", "max"),
    ]


def test_two_claims_at_once_one_wins(db: Database, item_id: str) -> None:
    users = [user(db, f"mod-{n}", Role.MODERATOR) for n in range(2)]
    barrier = threading.Barrier(len(users))
    outcomes: dict[str, str] = {}

    def race(who: UserView) -> None:
        barrier.wait()
        try:
            decisions.claim(db, item_id, who)
            outcomes[who.name] = "claimed"
        except SafeguardError as exc:
            outcomes[who.name] = type(exc).__name__

    threads = [threading.Thread(target=race, args=(who,)) for who in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["Conflict", "claimed"]
    [winner] = [name for name, outcome in outcomes.items() if outcome == "claimed"]
    assert get_item(db, item_id).claimed_by == winner
    assert len(logged(db, "review.claimed")) == 1


def test_viewers_cannot_claim_or_decide(db: Database, item_id: str) -> None:
    val = user(db, "val", Role.VIEWER)
    with pytest.raises(Forbidden):
        decisions.claim(db, item_id, val)
    with pytest.raises(Forbidden):
        decisions.decide(db, item_id, val, Outcome.CONFIRMED, REASON)
    assert get_item(db, item_id).status == "open" and get_item(db, item_id).claimed_by is None
    assert decisions.history(db, item_id) == []
    assert logged(db, "review.claimed", "review.decided") == []


def test_a_decision_needs_a_reason_and_a_known_outcome(db: Database, item_id: str) -> None:
    mo = user(db, "mo", Role.MODERATOR)
    for reason in ("", "   \n", "x" * 2001):
        with pytest.raises(BadRequest):
            decisions.decide(db, item_id, mo, Outcome.CONFIRMED, reason)
    with pytest.raises(BadRequest, match="unknown outcome"):
        decisions.decide(db, item_id, mo, "delete-it", REASON)
    with pytest.raises(BadRequest, match="only a false positive"):
        decisions.decide(db, item_id, mo, Outcome.CONFIRMED, REASON, "safe")
    assert get_item(db, item_id).status == "open"

    confirmed = decisions.decide(db, item_id, mo, Outcome.CONFIRMED, "x" * 2000)
    assert (confirmed.user, confirmed.outcome) == ("mo", "confirmed")
    assert list_queue(db) == []
    assert get_item(db, item_id).status == "decided" and get_item(db, item_id).claimed_by is None
    with pytest.raises(Conflict, match="decided"):
        decisions.decide(db, item_id, mo, Outcome.CONFIRMED, REASON)
    # Claimed on the way, then decided; the reason's text is never logged.
    assert logged(db, "review.claimed", "review.decided") == [
        ("review.claimed", "mo", item_id, {}),
        (
            "review.decided",
            "mo",
            item_id,
            {"outcome": "confirmed", "reason_length": 2000, "safelist_bank": None},
        ),
    ]


def test_a_false_positive_into_a_safelist_allows_the_same_content(
    db: Database, item_id: str
) -> None:
    mo = user(db, "mo", Role.MODERATOR)
    catalog.create_bank(db, BankSpec("safe", kind=BankKind.SAFELIST), "cli")
    with pytest.raises(BadRequest, match="not a safelist"):
        decisions.decide(db, item_id, mo, Outcome.FALSE_POSITIVE, REASON, "check-these")
    with pytest.raises(BadRequest, match="no safelist"):
        decisions.decide(db, item_id, mo, Outcome.FALSE_POSITIVE, REASON, "no-such-bank")
    assert catalog.get_bank(db, "safe").entries == 0

    decided = decisions.decide(db, item_id, mo, Outcome.FALSE_POSITIVE, REASON, "safe")
    assert decided.safelist_bank == "safe"
    [entry] = catalog.list_entries(db, "safe", limit=10)
    assert (entry.signal_type, entry.value) == ("md5", MD5)
    assert entry.source == f"false positive {item_id}"
    assert screen(db) is Decision.ALLOW
    assert len(list_queue(db)) == 0
    [(*_, details)] = logged(db, "review.decided")
    assert details == {
        "outcome": "false_positive",
        "reason_length": len(REASON),
        "safelist_bank": "safe",
    }
    assert logged(db, "bank.entries_added")[-1][:3] == ("bank.entries_added", "mo", "safe")


def test_escalation_goes_to_admins_and_a_reversal_reopens(db: Database, item_id: str) -> None:
    mo, ada = user(db, "mo", Role.MODERATOR), user(db, "ada", Role.ADMIN)
    catalog.create_bank(db, BankSpec("safe", kind=BankKind.SAFELIST), "cli")
    escalated = decisions.decide(db, item_id, mo, Outcome.ESCALATED, "not sure")
    assert [i.id for i in list_queue(db, QueueFilter("escalated"))] == [item_id]
    with pytest.raises(Forbidden, match="admins"):
        decisions.claim(db, item_id, mo)
    with pytest.raises(Forbidden):
        decisions.reverse(db, escalated.id, mo, "no")
    fp = decisions.decide(db, item_id, ada, Outcome.FALSE_POSITIVE, REASON, "safe")
    assert screen(db) is Decision.ALLOW
    with pytest.raises(Conflict, match="latest"):
        decisions.reverse(db, escalated.id, ada, "wrong one")

    reversal = decisions.reverse(db, fp.id, ada, "it is the listed item after all")
    assert (reversal.outcome, reversal.reverses_id) == ("reversed", fp.id)
    assert get_item(db, item_id).status == "open"
    assert screen(db) is Decision.REVIEW  # the safelist entry is disabled again
    with pytest.raises(BadRequest):
        decisions.reverse(db, reversal.id, ada, "and back")
    history = decisions.history(db, item_id)
    assert [(d.user, d.outcome, d.reversed_by) for d in history] == [
        ("mo", "escalated", None),
        ("ada", "false_positive", reversal.id),
        ("ada", "reversed", None),
    ]
    assert logged(db, "review.reversed") == [
        ("review.reversed", "ada", item_id, {"decision_id": fp.id, "reason_length": 31})
    ]
    # Open again: a moderator may take it.
    assert decisions.decide(db, item_id, mo, Outcome.CONFIRMED, REASON).outcome == "confirmed"
