"""Reports to authorities as a state machine, on SQLite and PostgreSQL, with a fake
in-process authority: nothing is sent before a moderator confirms; steps are persisted
one by one and never repeated; retryable failures are retried, others (and a report left
unfinished past its deadline) retracted; a finished report holds its evidence."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from safeguard import events
from safeguard.banks import catalog
from safeguard.banks.models import BankAction, BankSpec, NewEntry
from safeguard.errors import BadRequest, Conflict, Forbidden, NotFound
from safeguard.evidence import vault
from safeguard.evidence.keys import Keyring, parse_keys
from safeguard.moderation import decisions, people
from safeguard.moderation.decisions import Outcome
from safeguard.moderation.intake import item_screening_ids
from safeguard.moderation.people import Role, UserView
from safeguard.moderation.queue import list_queue
from safeguard.reporting import service
from safeguard.reporting.adapter import Authority, AuthorityError, Case, CaseFile, Provider, Reply
from safeguard.reporting.ncmec import NcmecAuthority
from safeguard.screening.service import Requester, Screener
from safeguard.store.db import Database
from safeguard.store.models import utcnow
from tests.fakes.ncmec_server import PASSWORD, USERNAME, FakeNcmec, running

MD5 = "5dc1441dd7a12fa79f2a43b1ebc93eab"
CONTENT = b"\xff\xd8 pretend image bytes"
KEY = "k1:" + base64.b64encode(bytes(range(1, 33))).decode()
PROVIDER = Provider("Example Ltd", "Sam Safety", "safety@example.org", None, "GB")
HOLD = timedelta(days=400)


pytestmark = pytest.mark.usefixtures("quick_passwords")


@pytest.fixture
def keyring() -> Keyring:
    return parse_keys(KEY, "test")


@pytest.fixture
def mo(db: Database) -> UserView:
    return people.create_user(db, "mo", "correct horse battery staple", Role.MODERATOR, "cli")


@pytest.fixture
def item_id(db: Database, keyring: Keyring) -> str:
    """An open review item whose screening kept its upload in the vault."""
    catalog.create_bank(db, BankSpec("known", BankAction.BLOCK), "platform-a")
    catalog.add_entry(db, "known", NewEntry("md5", MD5), "platform-a")
    Screener(db, 50).lookup({"md5": MD5}, Requester("platform-a", "lookup"))
    [item] = list_queue(db)
    details = {
        "uploader_ip": "2001:db8::7",
        "uploader_port": 443,
        "file_name": "beach.jpg",
        "uploader_id": "user-7",
        "content_id": "post-1",
        "received_at": utcnow().isoformat(),
        "hashes": {"md5": MD5, "pdq": "f" * 64},
    }
    with db.session() as session:
        vault.store(
            session,
            keyring,
            content=CONTENT,
            media_type="image",
            details=details,
            screening_id=item.screening_id,
            retain_until=utcnow() + timedelta(days=90),
            actor="platform-a",
        )
    return item.id


def confirmed(db: Database, item_id: str, mo: UserView) -> str:
    decisions.decide(db, item_id, mo, Outcome.CONFIRMED, "checked: it is the listed item")
    return item_id


@dataclass
class FakeAuthority:
    """Records every call; ``failures`` maps a step to the errors it raises first."""

    name: str = "fake"
    environment: str = "test"
    sends_files: bool = True
    calls: list[tuple[str, str]] = field(default_factory=list)
    failures: dict[str, list[AuthorityError]] = field(default_factory=dict)
    uploaded: list[bytes] = field(default_factory=list)

    def _step(self, step: str, subject: str) -> None:
        self.calls.append((step, subject))
        pending = self.failures.get(step)
        if pending:
            raise pending.pop(0)

    def payload(self, case: Case) -> str:
        files = [{"md5": f.md5, "sha1": f.sha1, "class": f.classification} for f in case.files]
        return json.dumps({"item": case.item_id, "user": case.reported_user_id, "files": files})

    def submit(self, payload: str) -> Reply:
        self._step("submit", "")
        return Reply(200, "opened", "R-1")

    def upload(self, report_id: str, file: CaseFile, content: bytes) -> Reply:
        self._step("upload", report_id)
        self.uploaded.append(content)
        return Reply(200, "uploaded", "F-1")

    def describe(self, report_id: str, file_id: str, file: CaseFile) -> Reply:
        self._step("describe", f"{file_id} {file.classification} {','.join(file.annotations)}")
        return Reply(200, "described")

    def finish(self, report_id: str) -> Reply:
        self._step("finish", report_id)
        return Reply(200, "finished", report_id)

    def retract(self, report_id: str) -> Reply:
        self._step("retract", report_id)
        return Reply(200, "retracted")


def retryable(step: str) -> AuthorityError:
    return AuthorityError(step, "timed out", retryable=True)


def draft(db: Database, item_id: str, mo: UserView, authority: Authority, keyring: Keyring) -> str:
    [report] = service.draft(
        db,
        item_id,
        mo,
        [authority],
        classification="A1",
        annotations=["infant"],
        keyring=keyring,
        provider=PROVIDER,
    )
    return report.id


def logged(db: Database) -> list[tuple[str, str]]:
    with db.read_session() as session:
        found = events.read_events(session, kinds=[f"authority_report.{s}" for s in service.STATES])
    return [(e.kind, e.details["state"]) for e in found]


def test_drafting_refuses_what_cannot_be_reported_and_sends_nothing(
    db: Database, item_id: str, mo: UserView, keyring: Keyring
) -> None:
    fake = FakeAuthority()
    args = {"classification": "A1", "keyring": keyring, "provider": PROVIDER}
    with pytest.raises(BadRequest, match="confirmed"):
        service.draft(db, item_id, mo, [fake], **args)  # still open
    with pytest.raises(NotFound):
        service.draft(db, "no-such-item", mo, [fake], **args)
    confirmed(db, item_id, mo)
    with pytest.raises(BadRequest, match="unknown annotation"):
        service.draft(db, item_id, mo, [fake], annotations=["nonsense"], **args)
    with pytest.raises(BadRequest, match="at most"):
        service.draft(
            db,
            item_id,
            mo,
            [fake],
            annotations=[*service.ANNOTATIONS, "one-too-many"],
            **args,
        )
    with pytest.raises(BadRequest, match="classification"):
        service.draft(
            db, item_id, mo, [fake], classification="C9", keyring=keyring, provider=PROVIDER
        )
    viewer = people.create_user(db, "val", "correct horse battery staple", Role.VIEWER, "cli")
    with pytest.raises(Forbidden):
        service.draft(db, item_id, viewer, [fake], **args)
    assert fake.calls == [] and service.list_reports(db) == []


def test_nothing_is_sent_before_confirming(
    db: Database, item_id: str, mo: UserView, keyring: Keyring
) -> None:
    fake = FakeAuthority()
    report_id = draft(db, confirmed(db, item_id, mo), mo, fake, keyring)
    drafted = service.get_report(db, report_id)
    assert drafted.state == "drafted"
    assert json.loads(drafted.payload)["user"] == "user-7"
    [file] = drafted.files
    assert file.md5 == hashlib.md5(CONTENT).hexdigest()
    assert file.file_name == "beach.jpg" and file.state == "pending"
    assert service.run_due(db, {"fake": fake}, keyring) == 0
    assert service.advance(db, report_id, fake, keyring).state == "drafted"
    assert fake.calls == []


def test_confirm_then_advance_sends_every_step_and_holds_the_evidence(
    db: Database, item_id: str, mo: UserView, keyring: Keyring
) -> None:
    fake = FakeAuthority()
    report_id = draft(db, confirmed(db, item_id, mo), mo, fake, keyring)
    assert service.confirm(db, report_id, mo).state == "confirmed"
    with pytest.raises(Conflict):
        service.confirm(db, report_id, mo)
    done = service.advance(db, report_id, fake, keyring, hold=HOLD)
    assert [c[0] for c in fake.calls] == ["submit", "upload", "describe", "finish"]
    assert fake.calls[2][1] == "F-1 A1 infant"
    assert fake.uploaded == [CONTENT]
    assert done.state == "finished" and done.remote_id == "R-1" and done.finished_at
    assert [f.state for f in done.files] == ["described"]
    assert [e.step for e in done.exchanges] == ["draft", "submit", "upload", "describe", "finish"]
    assert all("pretend" not in e.detail for e in done.exchanges)
    with db.read_session() as session:
        [evidence_id] = vault.find(session, _screenings(db, item_id))
    held = vault.read(db, keyring, evidence_id, actor="test", purpose="check")
    assert held.hold_until is not None and held.hold_until > utcnow() + timedelta(days=399)
    assert "reported to fake" in (held.hold_reason or "")
    assert logged(db) == [
        ("authority_report.drafted", "drafted"),
        ("authority_report.confirmed", "confirmed"),
        ("authority_report.submitted", "submitted"),
        ("authority_report.finished", "finished"),
    ]
    service.advance(db, report_id, fake, keyring)  # finished: nothing more
    assert len(fake.calls) == 4


def _screenings(db: Database, item_id: str) -> list[str]:
    with db.read_session() as session:
        return item_screening_ids(session, item_id)


def test_a_retryable_upload_failure_is_retried_without_submitting_again(
    db: Database, item_id: str, mo: UserView, keyring: Keyring
) -> None:
    fake = FakeAuthority(failures={"upload": [retryable("upload")]})
    report_id = draft(db, confirmed(db, item_id, mo), mo, fake, keyring)
    service.confirm(db, report_id, mo)
    waiting = service.advance(db, report_id, fake, keyring)
    assert waiting.state == "submitted" and waiting.remote_id == "R-1"
    assert waiting.attempts == 1 and waiting.last_error == "upload: timed out"
    assert waiting.next_attempt_at is not None
    assert service.run_due(db, {"fake": fake}, keyring) == 0  # not due yet
    later = utcnow() + timedelta(minutes=2)
    assert service.run_due(db, {"fake": fake}, keyring, later) == 1
    assert [c[0] for c in fake.calls] == ["submit", "upload", "upload", "describe", "finish"]
    assert service.get_report(db, report_id).state == "finished"


def test_a_report_left_unfinished_past_the_deadline_is_retracted(
    db: Database, item_id: str, mo: UserView, keyring: Keyring
) -> None:
    fake = FakeAuthority(failures={"finish": [retryable("finish") for _ in range(20)]})
    report_id = draft(db, confirmed(db, item_id, mo), mo, fake, keyring)
    service.confirm(db, report_id, mo)
    start = utcnow()
    assert service.advance(db, report_id, fake, keyring, start).state == "submitted"
    at = start
    for _ in range(15):
        at += timedelta(minutes=10)
        report = service.advance(db, report_id, fake, keyring, at)
        if report.state != "submitted":
            break
        assert report.next_attempt_at is not None
        assert report.next_attempt_at <= start + service.SUBMIT_DEADLINE + timedelta(seconds=1)
    assert report.state == "retracted"
    steps = [c[0] for c in fake.calls]
    assert steps.count("submit") == 1 and steps.count("upload") == 1
    assert steps[-1] == "retract"
    assert "not finished" in (report.last_error or "") or "finish" in (report.last_error or "")
    assert logged(db)[-1] == ("authority_report.retracted", "retracted")


def test_a_non_retryable_error_retracts_the_report(
    db: Database, item_id: str, mo: UserView, keyring: Keyring
) -> None:
    refused = AuthorityError("describe", "HTTP 400: bad classification", 400, retryable=False)
    fake = FakeAuthority(failures={"describe": [refused]})
    report_id = draft(db, confirmed(db, item_id, mo), mo, fake, keyring)
    service.confirm(db, report_id, mo)
    report = service.advance(db, report_id, fake, keyring)
    assert report.state == "retracted" and report.remote_id == "R-1"
    assert [c[0] for c in fake.calls] == ["submit", "upload", "describe", "retract"]
    assert report.last_error == "describe: HTTP 400: bad classification"
    assert service.advance(db, report_id, fake, keyring).state == "retracted"
    assert len(fake.calls) == 4
    # a retracted report may be drafted and sent again
    again = draft(db, item_id, mo, fake, keyring)
    assert again == report_id and service.get_report(db, again).state == "drafted"


def test_a_submit_that_times_out_is_retried_and_a_lease_stops_a_second_sender(
    db: Database, item_id: str, mo: UserView, keyring: Keyring
) -> None:
    fake = FakeAuthority(failures={"submit": [retryable("submit")]})
    report_id = draft(db, confirmed(db, item_id, mo), mo, fake, keyring)
    service.confirm(db, report_id, mo)
    now = utcnow()
    assert service.advance(db, report_id, fake, keyring, now).state == "confirmed"
    later = now + timedelta(minutes=1)
    assert service.advance(db, report_id, fake, keyring, later).state == "finished"
    assert [c[0] for c in fake.calls].count("submit") == 2  # the first got no id
    assert [c[0] for c in fake.calls].count("finish") == 1


def test_drafting_again_while_sending_is_refused(
    db: Database, item_id: str, mo: UserView, keyring: Keyring
) -> None:
    fake = FakeAuthority()
    report_id = draft(db, confirmed(db, item_id, mo), mo, fake, keyring)
    assert draft(db, item_id, mo, fake, keyring) == report_id  # a draft is replaced
    service.confirm(db, report_id, mo)
    with pytest.raises(Conflict):
        draft(db, item_id, mo, fake, keyring)


def ncmec(fake: FakeNcmec, timeout: float = 30.0) -> NcmecAuthority:
    """The real adapter on the fake; a generous timeout unless a test is about timing out
    (a busy CI machine must not turn a slow answer into a retry the test did not expect)."""
    return NcmecAuthority(username=USERNAME, password=PASSWORD, base_url=fake.url, timeout=timeout)


def test_against_the_fake_cybertipline_an_upload_failure_ends_finished(
    db: Database, item_id: str, mo: UserView, keyring: Keyring
) -> None:
    """The real NCMEC adapter over HTTP: the first upload fails with a 500, the retry
    uploads and describes the file and finishes the report; nothing is sent twice."""
    with running(FakeNcmec(fail_upload={1: 500})) as fake:
        authority = ncmec(fake)
        report_id = draft(db, confirmed(db, item_id, mo), mo, authority, keyring)
        service.confirm(db, report_id, mo)
        waiting = service.advance(db, report_id, authority, keyring)
        assert waiting.state == "submitted" and waiting.remote_id is not None
        later = utcnow() + timedelta(minutes=2)
        assert service.run_due(db, {"ncmec": authority}, keyring, later) == 1
        done = service.get_report(db, report_id)
        assert done.state == "finished"
        [sent] = fake.reports.values()
        assert sent.state == "finished" and len(sent.files) == 1
        [file] = sent.files.values()
        assert file.md5 == hashlib.md5(CONTENT).hexdigest() and file.details is not None
        assert [r.path.rsplit("/", 1)[-1] for r in fake.received].count("submit") == 1


def test_against_the_fake_cybertipline_a_finish_that_times_out_is_retracted(
    db: Database, item_id: str, mo: UserView, keyring: Keyring
) -> None:
    """Finish never answers in time: the report is retracted at the deadline, at NCMEC
    too, instead of being left open and forgotten."""
    with running(FakeNcmec(hang={"finish": 1.0})) as fake:
        authority = ncmec(fake, timeout=0.5)
        report_id = draft(db, confirmed(db, item_id, mo), mo, authority, keyring)
        service.confirm(db, report_id, mo)
        at = utcnow()
        state = service.advance(db, report_id, authority, keyring, at).state
        while state == "submitted":
            at += timedelta(minutes=10)
            state = service.advance(db, report_id, authority, keyring, at).state
        assert state == "retracted"
        [sent] = fake.reports.values()
        assert sent.state == "retracted"
