"""User reports and appeals, on SQLite and PostgreSQL: reports join the item of their
target (even at once from several threads), raise its priority and follow its
decisions; appeals go to another moderator, and a granted one reverses the decision.
Bad input changes nothing; report text and appeal reasons never reach the event log."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from safeguard import events
from safeguard.banks import catalog
from safeguard.banks.models import BankAction, BankSpec, NewEntry
from safeguard.errors import BadRequest, Conflict, Forbidden, InvalidSignal, NotFound
from safeguard.moderation import appeals, decisions, people, reports
from safeguard.moderation.appeals import AppealStatus
from safeguard.moderation.decisions import Outcome
from safeguard.moderation.people import Role, UserView
from safeguard.moderation.priority import Priority
from safeguard.moderation.queue import get_item
from safeguard.moderation.reports import Category, NewReport, ReportStatus, Target, TargetKind
from safeguard.screening.service import Requester, Screener
from safeguard.store.db import Database
from safeguard.store.models import Appeal, Conversation, ReviewItem, UserReport

MD5 = "5dc1441dd7a12fa79f2a43b1ebc93eab"
CLIENT = "platform-a"
SECRET = "the reporter's own words"
REASON = "the picture is the listed item"


pytestmark = pytest.mark.usefixtures("quick_passwords")


def user(db: Database, name: str, role: Role = Role.MODERATOR) -> UserView:
    return people.create_user(db, name, "correct horse battery staple", role, "cli")


def screened(db: Database, content_id: str = "c-1", uploader_id: str = "u-1") -> str:
    """A lookup of MD5, held for review by a review bank; the screening's id."""
    if not catalog.list_banks(db):
        catalog.create_bank(db, BankSpec("check-these", BankAction.REVIEW), CLIENT)
        catalog.add_entry(db, "check-these", NewEntry("md5", MD5), CLIENT)
    requester = Requester(CLIENT, "lookup", content_id, uploader_id)
    return Screener(db, 50).lookup({"md5": MD5}, requester).screening_id


def report(
    db: Database,
    kind: TargetKind,
    value: str,
    category: Category = Category.OTHER,
    client: str = CLIENT,
    **more: str,
) -> reports.ReportView:
    target = Target(kind, value, more.pop("signal_type", None))
    return reports.submit_report(
        db, client, NewReport(more.pop("reporter_id", "r-1"), category, target, SECRET)
    )


def count(db: Database, model: type[UserReport] | type[Appeal] | type[ReviewItem]) -> int:
    with db.read_session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def logged(db: Database, *kinds: str) -> list[tuple[str, str, dict[str, object]]]:
    with db.read_session() as session:
        found = events.read_events(session, kinds=list(kinds))
    return [(e.kind, e.subject, e.details) for e in found]


def test_reports_of_one_target_join_one_item_and_raise_its_priority(db: Database) -> None:
    first = report(db, TargetKind.CONTENT, "never-seen")
    item = get_item(db, first.review_item_id)
    assert (item.kind, item.priority, item.screening_id) == ("report", Priority.OTHER_REPORT, None)
    assert item.reason == {"category": "other", "target_kind": "content"}
    assert first.status is ReportStatus.RECEIVED and first.decision_id is None

    second = report(db, TargetKind.CONTENT, " never-seen ", Category.CSAM, reporter_id="r-2")
    assert second.review_item_id == first.review_item_id
    assert get_item(db, first.review_item_id).priority == Priority.REPORTED_ABUSE_MATERIAL
    report(db, TargetKind.CONTENT, "never-seen", Category.UNDERAGE_USER)  # lower: stays
    assert get_item(db, first.review_item_id).priority == Priority.REPORTED_ABUSE_MATERIAL
    other = report(db, TargetKind.USER, "never-seen")  # another kind of target
    assert other.review_item_id != first.review_item_id
    elsewhere = report(db, TargetKind.CONTENT, "never-seen", client="platform-b")
    assert elsewhere.review_item_id != first.review_item_id

    listed = reports.reports_for_item(db, first.review_item_id)
    assert [r.reporter_id for r in listed] == ["r-1", "r-2", "r-1"]
    assert listed[0].text == SECRET
    received = logged(db, "report.received")
    assert received[0] == (
        "report.received",
        first.id,
        {"category": "other", "target_kind": "content", "review_item_id": item.id},
    )
    assert SECRET not in str(received)
    assert reports.get_report(db, CLIENT, first.id) == listed[0]
    with pytest.raises(NotFound):
        reports.get_report(db, "platform-b", first.id)


def test_reports_of_known_evidence_join_its_item(db: Database) -> None:
    screening_id = screened(db, content_id="c-1")
    [(screening_item, _)] = _items(db)
    by_id = report(db, TargetKind.SCREENING, screening_id, Category.CSAM)
    by_content = report(db, TargetKind.CONTENT, "c-1", Category.GROOMING)
    assert by_id.review_item_id == by_content.review_item_id == screening_item
    assert get_item(db, screening_item).priority == Priority.REPORTED_ABUSE_MATERIAL

    with db.session() as session:
        chat = Conversation(client=CLIENT, external_id="chat-1", state={})
        session.add(chat)
        session.flush()
        chat_id = chat.id
    about_chat = report(db, TargetKind.CONVERSATION, "chat-1", Category.GROOMING)
    item = get_item(db, about_chat.review_item_id)
    assert (item.kind, item.conversation_id, item.priority) == ("report", "chat-1", 70)
    with db.read_session() as session:
        assert session.get_one(ReviewItem, item.id).conversation_id == chat_id

    hashed = report(db, TargetKind.HASH, MD5.upper(), signal_type="MD5")
    assert hashed.target == Target(TargetKind.HASH, MD5, "md5")
    assert report(db, TargetKind.HASH, MD5, signal_type="md5").review_item_id == (
        hashed.review_item_id
    )


def test_bad_reports_change_nothing(db: Database) -> None:
    screening_id = screened(db)
    before = (count(db, UserReport), count(db, ReviewItem), logged(db))
    bad = [
        (NotFound, NewReport("r", Category.OTHER, Target(TargetKind.SCREENING, "nope"))),
        (BadRequest, NewReport("r", Category.OTHER, Target(TargetKind.CONTENT, "c"), "x" * 4001)),
        (BadRequest, NewReport("r", Category.OTHER, Target(TargetKind.CONTENT, "c"), "a\x00")),
        (BadRequest, NewReport("r", "spam", Target(TargetKind.CONTENT, "c"))),  # type: ignore[arg-type]
        (BadRequest, NewReport("", Category.OTHER, Target(TargetKind.CONTENT, "c"))),
        (BadRequest, NewReport("r", Category.OTHER, Target(TargetKind.CONTENT, "c" * 257))),
        (BadRequest, NewReport("r", Category.OTHER, Target(TargetKind.HASH, MD5))),
        (BadRequest, NewReport("r", Category.OTHER, Target(TargetKind.USER, "u", "md5"))),
        (InvalidSignal, NewReport("r", Category.OTHER, Target(TargetKind.HASH, "zz", "md5"))),
        (InvalidSignal, NewReport("r", Category.OTHER, Target(TargetKind.HASH, MD5, "nope"))),
    ]
    for error, new in bad:
        with pytest.raises(error):
            reports.submit_report(db, CLIENT, new)
    with pytest.raises(NotFound, match="unknown target"):  # another client's screening
        report(db, TargetKind.SCREENING, screening_id, client="platform-b")
    assert (count(db, UserReport), count(db, ReviewItem), logged(db)) == before


def test_a_reports_status_follows_its_item(db: Database) -> None:
    mo, ada = user(db, "mo"), user(db, "ada", Role.ADMIN)
    made = report(db, TargetKind.USER, "u-9", Category.UNDERAGE_USER)
    item_id = made.review_item_id

    def status() -> ReportStatus:
        return reports.get_report(db, CLIENT, made.id).status

    decisions.claim(db, item_id, mo)
    assert status() is ReportStatus.IN_REVIEW
    decisions.decide(db, item_id, mo, Outcome.ESCALATED, "not sure")
    assert status() is ReportStatus.ESCALATED
    confirmed = decisions.decide(db, item_id, ada, Outcome.CONFIRMED, REASON)
    assert status() is ReportStatus.ACTIONED
    assert reports.get_report(db, CLIENT, made.id).decision_id == confirmed.id
    again = report(db, TargetKind.USER, "u-9")  # the item is decided: a new one opens
    assert again.review_item_id != item_id
    decisions.reverse(db, confirmed.id, ada, "too quick")
    assert status() is ReportStatus.RECEIVED
    decisions.decide(db, item_id, mo, Outcome.FALSE_POSITIVE, "an adult")
    assert status() is ReportStatus.NO_VIOLATION


def test_reports_of_one_target_at_once_open_one_item(db: Database) -> None:
    barrier = threading.Barrier(4)
    items: list[str] = []

    def send() -> None:
        barrier.wait()
        items.append(report(db, TargetKind.CONTENT, "busy").review_item_id)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(items) == 4 and len(set(items)) == 1


@pytest.fixture
def mo(db: Database) -> UserView:
    return user(db, "mo")


@pytest.fixture
def confirmed(db: Database, mo: UserView) -> decisions.DecisionView:
    """mo's confirmation of the review item of a screening uploaded by u-1."""
    screened(db)
    [(item_id, _)] = _items(db)
    return decisions.decide(db, item_id, mo, Outcome.CONFIRMED, REASON)


def test_a_granted_appeal_reverses_the_decision(
    db: Database, mo: UserView, confirmed: decisions.DecisionView
) -> None:
    max_, ada = user(db, "max"), user(db, "ada", Role.ADMIN)
    reported = report(db, TargetKind.CONTENT, "c-1")  # its item is decided: a new one
    assert reported.review_item_id != confirmed.item_id
    with pytest.raises(Forbidden, match="affected"):
        appeals.submit_appeal(db, CLIENT, confirmed.id, "u-2", "not mine")
    appeal = appeals.submit_appeal(db, CLIENT, confirmed.id, "u-1", "  " + SECRET + " ")
    assert (appeal.status, appeal.reason, appeal.decided_at) == (
        AppealStatus.PENDING,
        SECRET,
        None,
    )
    assert (appeal.decision.user, appeal.decision.item_id) == ("mo", confirmed.item_id)
    item = get_item(db, appeal.review_item_id)
    original = get_item(db, confirmed.item_id)
    assert (item.kind, item.priority, item.screening_id) == ("appeal", 30, original.screening_id)
    assert appeals.appeal_for_item(db, item.id) == appeal
    assert appeals.appeal_for_item(db, original.id) is None
    with pytest.raises(Conflict, match="undecided appeal"):
        appeals.submit_appeal(db, CLIENT, confirmed.id, "u-1", "again")

    with pytest.raises(Forbidden, match="other than"):
        decisions.claim(db, item.id, mo)
    with pytest.raises(Forbidden, match="other than"):
        decisions.decide(db, item.id, mo, Outcome.GRANTED, "my mistake")
    assert decisions.is_appealed_decider(db, item.id, mo)
    assert not decisions.is_appealed_decider(db, item.id, max_)
    with pytest.raises(BadRequest, match="granted, denied, escalated"):
        decisions.decide(db, item.id, max_, Outcome.CONFIRMED, REASON)
    with pytest.raises(BadRequest, match="not granted"):
        decisions.decide(db, reported.review_item_id, max_, Outcome.GRANTED, REASON)
    assert get_item(db, item.id).claimed_by is None  # the refusals changed nothing
    assert get_item(db, reported.review_item_id).claimed_by is None

    decisions.claim(db, item.id, max_)
    assert appeals.get_appeal(db, CLIENT, appeal.id).status is AppealStatus.IN_REVIEW
    decisions.decide(db, item.id, max_, Outcome.GRANTED, "a holiday photo after all")
    granted = appeals.get_appeal(db, CLIENT, appeal.id)
    assert granted.status is AppealStatus.GRANTED and granted.decided_at is not None
    history = decisions.history(db, original.id)
    assert [(d.outcome, d.user, d.reverses_id) for d in history] == [
        ("confirmed", "mo", None),
        ("reversed", "max", confirmed.id),
    ]
    assert get_item(db, original.id).status == "decided"  # closed, not back in the queue
    assert get_item(db, item.id).status == "decided"
    assert logged(db, "appeal.decided") == [
        ("appeal.decided", appeal.id, {"outcome": "granted", "decision_id": confirmed.id})
    ]
    received = logged(db, "appeal.received")
    assert received == [
        (
            "appeal.received",
            appeal.id,
            {"decision_id": confirmed.id, "review_item_id": item.id},
        )
    ]
    with pytest.raises(Conflict, match="reversed"):
        appeals.submit_appeal(db, CLIENT, confirmed.id, "u-1", "again")
    [appeal_decision] = decisions.history(db, item.id)
    with pytest.raises(BadRequest, match="appeal"):
        decisions.reverse(db, appeal_decision.id, ada, "no")
    assert appeals.get_appeal(db, CLIENT, appeal.id).status is AppealStatus.GRANTED
    with pytest.raises(NotFound):
        appeals.get_appeal(db, "platform-b", appeal.id)


def test_a_denied_appeal_lets_the_decision_stand(
    db: Database, confirmed: decisions.DecisionView
) -> None:
    max_, ada = user(db, "max"), user(db, "ada", Role.ADMIN)
    appeal = appeals.submit_appeal(db, CLIENT, confirmed.id, "u-1", "not what it seems")
    decisions.decide(db, appeal.review_item_id, max_, Outcome.ESCALATED, "an admin's call")
    assert appeals.get_appeal(db, CLIENT, appeal.id).status is AppealStatus.IN_REVIEW
    decisions.decide(db, appeal.review_item_id, ada, Outcome.DENIED, "it is the listed item")
    assert appeals.get_appeal(db, CLIENT, appeal.id).status is AppealStatus.DENIED
    assert [d.outcome for d in decisions.history(db, confirmed.item_id)] == ["confirmed"]
    again = appeals.submit_appeal(db, CLIENT, confirmed.id, "u-1", "new facts")
    assert again.review_item_id != appeal.review_item_id


def test_bad_appeals_change_nothing(
    db: Database, mo: UserView, confirmed: decisions.DecisionView
) -> None:
    fp = report(db, TargetKind.USER, "u-5")
    false_positive = decisions.decide(db, fp.review_item_id, mo, Outcome.FALSE_POSITIVE, "fine")
    before = (count(db, Appeal), count(db, ReviewItem), logged(db))
    bad: list[tuple[type[Exception], int, str, str, str]] = [
        (NotFound, 10**9, CLIENT, "u-1", "why"),
        (NotFound, confirmed.id, "platform-b", "u-1", "why"),
        (BadRequest, false_positive.id, CLIENT, "u-1", "why"),
        (BadRequest, confirmed.id, CLIENT, "u-1", ""),
        (BadRequest, confirmed.id, CLIENT, "u-1", "x" * 4001),
        (BadRequest, confirmed.id, CLIENT, "", "why"),
        (Forbidden, confirmed.id, CLIENT, "u-2", "why"),
    ]
    for error, decision_id, client, appellant, reason in bad:
        with pytest.raises(error):
            appeals.submit_appeal(db, client, decision_id, appellant, reason)
    assert (count(db, Appeal), count(db, ReviewItem), logged(db)) == before


def _items(db: Database) -> list[tuple[str, str]]:
    """The id and kind of every review item, oldest first."""
    query = select(ReviewItem.id, ReviewItem.kind).order_by(ReviewItem.created_at)
    with db.read_session() as session:
        return [(item_id, kind) for item_id, kind in session.execute(query)]
