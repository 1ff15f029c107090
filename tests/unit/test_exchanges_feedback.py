"""Feedback to NCMEC's hash sharing from moderators' decisions, against the local fake
(never the real service), on SQLite and PostgreSQL: a confirmed match sends affirmative
feedback once, a false positive negative feedback with the configured reason, a 500 is
retried until it is taken, a 400 is given up with its error, and matches of entries
that no NCMEC exchange supplied send nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from safeguard.banks import catalog
from safeguard.banks.models import NewEntry
from safeguard.cli import context
from safeguard.cli.main import app
from safeguard.exchanges import feedback, feedback_send, service
from safeguard.exchanges.base import ExchangeAdapter
from safeguard.exchanges.feedback import FeedbackCounts
from safeguard.exchanges.ncmec import NcmecExchange
from safeguard.exchanges.runner import fetch_exchange
from safeguard.exchanges.worker import FeedbackSender
from safeguard.moderation import decisions, people
from safeguard.moderation.decisions import Outcome
from safeguard.moderation.people import Role
from safeguard.moderation.queue import list_queue
from safeguard.screening.service import Requester, Screener
from safeguard.store.db import Database
from safeguard.webhooks.delivery import RetrySchedule
from tests.fakes.ncmec_hash_server import REASON, FakeNcmecHashes, Opinion
from tests.unit.test_exchanges import (  # noqa: F401  (the module's database and fake fixtures)
    Clock,
    database_url,
    image,
    make_bank,
    md5,
    migrated_url,
    ncmec,
    pdq,
)

pytestmark = pytest.mark.usefixtures("quick_passwords")
NOW_AGAIN = RetrySchedule(first=timedelta(0))  # a retry is due at the next pass
WHY = "checked against the listed record"


@pytest.fixture
def hashes(request: pytest.FixtureRequest) -> FakeNcmecHashes:
    """The fake NCMEC of test_exchanges's ``ncmec`` fixture."""
    fake: FakeNcmecHashes = request.getfixturevalue("ncmec")
    return fake


class Moderation:
    """One test's NCMEC exchange (fetched), its moderator and a way to decide matches."""

    def __init__(self, db: Database, fake: FakeNcmecHashes, name: str, **settings: object):
        self.db, self.fake, self.name = db, fake, name
        self.adapters: dict[str, ExchangeAdapter] = {"ncmec": NcmecExchange(Clock())}
        self.bank = make_bank(db, f"{name}-list")
        config = {
            "base_url": fake.url,
            "username_env": "TEST_NCMEC_USER",
            "password_env": "TEST_NCMEC_PASSWORD",
            **settings,
        }
        service.add_exchange(db, name, "ncmec", self.bank, config)
        self.moderator = people.create_user(
            db, f"{name}-mod", "a long test passphrase", Role.MODERATOR, "cli"
        )
        self.screener = Screener(db, 50)

    def fetch(self) -> None:
        assert fetch_exchange(self.db, self.name, adapters=self.adapters).error is None

    def decide(self, signals: dict[str, str], outcome: Outcome) -> None:
        """Screen ``signals`` (a new upload) and decide its review item."""
        found = self.screener.lookup(signals, Requester(self.name, "lookup"))
        [item] = [i for i in list_queue(self.db) if i.screening_id == found.screening_id]
        decisions.decide(self.db, item.id, self.moderator, outcome, WHY)

    def run(self, schedule: RetrySchedule = NOW_AGAIN) -> int:
        """One pass of the feedback worker; how many opinions NCMEC took."""
        feedback.collect(self.db, self.adapters, settle=timedelta(0))
        return feedback_send.send_due(self.db, self.adapters, schedule)

    def counts(self) -> FeedbackCounts | None:
        return service.get_exchange(self.db, self.name).feedback


def test_confirmed_and_false_positive_matches_send_feedback_once(
    db: Database, hashes: FakeNcmecHashes
) -> None:
    seen = Moderation(db, hashes, "fb-sent", negative_reasons={"default": REASON})
    for number in (1, 2):
        hashes.put(image(number, seed="sent"))
    seen.fetch()

    seen.decide({"md5": md5("sent-1")}, Outcome.CONFIRMED)
    seen.decide({"pdq": pdq("sent-2")}, Outcome.FALSE_POSITIVE)
    assert hashes.feedback == []  # nothing in the moderator's request
    assert seen.counts() == FeedbackCounts(0, 0, 0)  # the worker has not run yet
    assert seen.run() == 2
    assert hashes.opinions == [
        Opinion(42, "e01", "MD5", "affirmative"),
        Opinion(42, "e02", "PDQ", "negative", (REASON,)),
    ]

    # The same opinions again (new uploads of the same content): nothing more is sent.
    seen.decide({"md5": md5("sent-1")}, Outcome.CONFIRMED)
    seen.decide({"pdq": pdq("sent-2")}, Outcome.FALSE_POSITIVE)
    assert seen.run() == 0
    assert len(hashes.feedback) == 2
    assert seen.counts() == FeedbackCounts(sent=2)

    # A changed opinion replaces the one sent; escalating says nothing of the record.
    seen.decide({"pdq": pdq("sent-2")}, Outcome.CONFIRMED)
    seen.decide({"md5": md5("sent-1")}, Outcome.ESCALATED)
    assert seen.run() == 1
    assert hashes.opinions[-1] == Opinion(42, "e02", "PDQ", "affirmative")
    assert seen.counts() == FeedbackCounts(sent=2)


def test_server_errors_are_retried_and_refusals_given_up(
    db: Database, hashes: FakeNcmecHashes, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = Moderation(db, hashes, "fb-flaky")
    for number in (1, 2, 3):
        hashes.put(image(number, seed="flaky"))
    flaky.fetch()

    hashes.feedback_fail = [500]
    flaky.decide({"md5": md5("flaky-1")}, Outcome.CONFIRMED)
    assert flaky.run() == 0
    assert flaky.counts() == FeedbackCounts(pending=1)
    assert flaky.run() == 1  # the retry
    assert hashes.opinions == [Opinion(42, "e01", "MD5", "affirmative")]

    # A refusal is recorded with its error and never sent again.
    hashes.feedback_fail = [400]
    flaky.decide({"md5": md5("flaky-2")}, Outcome.CONFIRMED)
    assert flaky.run() == 0
    requests = len(hashes.feedback)
    assert flaky.run() == 0
    assert len(hashes.feedback) == requests
    assert flaky.counts() == FeedbackCounts(sent=1, failed=1)

    # No negative reason is configured: recorded as failed, nothing invalid is sent.
    flaky.decide({"pdq": pdq("flaky-3")}, Outcome.FALSE_POSITIVE)
    assert flaky.run() == 0
    assert len(hashes.feedback) == requests
    assert flaky.counts() == FeedbackCounts(sent=1, failed=2)

    # Retried once a reason is configured; the refused one is refused again.
    monkeypatch.setattr(context, "database", lambda: db)
    cli = CliRunner()
    reasons = f'negative_reasons={{"PDQ": "{REASON}"}}'
    assert cli.invoke(app, ["exchange", "set", "fb-flaky", "--set", reasons]).exit_code == 0
    assert cli.invoke(app, ["exchange", "retry-feedback", "fb-flaky"]).exit_code == 0
    shown = cli.invoke(app, ["exchange", "status", "fb-flaky"])
    assert '"feedback": {"sent": 1, "pending": 2, "failed": 0}' in shown.output
    hashes.feedback_fail = [400]
    assert flaky.run() == 1
    assert hashes.opinions[-1] == Opinion(42, "e03", "PDQ", "negative", (REASON,))
    shown = cli.invoke(app, ["exchange", "status", "fb-flaky"])
    assert '"feedback": {"sent": 2, "pending": 0, "failed": 1}' in shown.output


def test_entries_not_from_an_ncmec_exchange_send_nothing(
    db: Database, hashes: FakeNcmecHashes
) -> None:
    quiet = Moderation(db, hashes, "fb-quiet", negative_reasons={"default": REASON})
    off = Moderation(db, hashes, "fb-off", feedback=False)
    hashes.put(image(1, seed="quiet"))
    quiet.fetch()
    off.fetch()  # the same entry, in a second bank: only fb-quiet sends feedback
    catalog.add_entry(db, quiet.bank, NewEntry("md5", md5("local")), "tests")

    quiet.decide({"md5": md5("local")}, Outcome.CONFIRMED)
    assert quiet.run() == 0
    assert hashes.feedback == []
    quiet.decide({"md5": md5("quiet-1")}, Outcome.FALSE_POSITIVE)
    assert quiet.run() == 1
    assert hashes.opinions == [Opinion(42, "e01", "MD5", "negative", (REASON,))]
    assert off.counts() == FeedbackCounts()
    # The worker's pass (with the installed adapters) finds nothing more to send.
    assert not FeedbackSender(db, timedelta(minutes=1)).run_pass(threading.Event())
    assert len(hashes.feedback) == 1
