"""Bank operations, the change log, and matchers kept in sync across instances."""

from __future__ import annotations

import pytest

from safeguard.banks import service
from safeguard.banks.models import BankAction, BankKind, BankSpec, NewEntry
from safeguard.errors import Conflict, InvalidName, InvalidSignal, NotFound
from safeguard.screening.matcher import Matcher
from safeguard.screening.service import Requester, Screener
from safeguard.store.db import Database

PDQ_A = "d8f8f0cec4f4a84f0637022a078f67f0b36e2ee5b6621e1d33e6239c4e9c9b22"
PDQ_A_NEAR = "d8f8f0cec4f4a84f0637022a078f67f0b36e2ec5b6623e1d33e6239c4e9c9b22"  # 2 bits away
MD5 = "5dc1441dd7a12fa79f2a43b1ebc93eab"
WHO = Requester("tests", "lookup")


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    yield database
    database.dispose()


def test_bank_names_and_thresholds_are_validated() -> None:
    with pytest.raises(InvalidName):
        BankSpec("has space")
    with pytest.raises(InvalidSignal):
        BankSpec("ok", pdq_threshold=200)


def test_create_list_delete(db: Database) -> None:
    with db.session() as s:
        service.create_bank(s, BankSpec("known", BankAction.BLOCK))
        bank = service.get_bank(s, "known")
        result = service.add_entries(s, bank, [NewEntry("pdq", PDQ_A), NewEntry("md5", MD5)])
        assert len(result.added_ids) == 2
    with db.session() as s, pytest.raises(Conflict):
        service.create_bank(s, BankSpec("known"))
    with db.session() as s:
        [summary] = service.list_banks(s)
        assert (summary.bank.name, summary.entries, summary.enabled_entries) == ("known", 2, 2)
        service.delete_bank(s, "known")
    with db.session() as s, pytest.raises(NotFound):
        service.get_bank(s, "known")


def test_adding_values_twice_keeps_one_entry(db: Database) -> None:
    with db.session() as s:
        bank = service.create_bank(s, BankSpec("dupes"))
        first = service.add_entries(s, bank, [NewEntry("md5", MD5), NewEntry("md5", MD5.upper())])
        again = service.add_entries(s, bank, [NewEntry("md5", MD5)])
    assert (len(first.added_ids), first.already_present) == (1, 1)
    assert (len(again.added_ids), again.already_present) == (0, 1)


def test_two_matchers_follow_the_change_log(db: Database) -> None:
    worker_a, worker_b = Screener(db, 50, Matcher()), Screener(db, 50, Matcher())
    assert worker_a.lookup({"pdq": PDQ_A_NEAR}, WHO).decision.value == "allow"
    with db.session() as s:
        bank = service.create_bank(s, BankSpec("live"))
        [entry_id] = service.add_entries(s, bank, [NewEntry("pdq", PDQ_A)]).added_ids
    for worker in (worker_a, worker_b):
        result = worker.lookup({"pdq": PDQ_A_NEAR}, WHO)
        assert result.decision.value == "block"
        assert [(m.entry_id, m.distance) for m in result.matches] == [(entry_id, 2)]
    with db.session() as s:
        service.set_entry_enabled(s, service.get_bank(s, "live"), entry_id, False)
    assert worker_a.lookup({"pdq": PDQ_A_NEAR}, WHO).decision.value == "allow"
    with db.session() as s:
        service.set_entry_enabled(s, service.get_bank(s, "live"), entry_id, True)
    assert worker_b.lookup({"pdq": PDQ_A_NEAR}, WHO).decision.value == "block"
    with db.session() as s:
        service.delete_bank(s, "live")
    assert worker_a.lookup({"pdq": PDQ_A_NEAR}, WHO).decision.value == "allow"
    assert worker_a.matcher.size()["pdq"] == 0


def test_safelist_and_review_banks(db: Database) -> None:
    with db.session() as s:
        review = service.create_bank(s, BankSpec("to-review", BankAction.REVIEW))
        service.add_entries(s, review, [NewEntry("md5", MD5)])
    screener = Screener(db, 50)
    assert screener.lookup({"md5": MD5}, WHO).decision.value == "review"
    with db.session() as s:
        safe = service.create_bank(s, BankSpec("false-positives", kind=BankKind.SAFELIST))
        service.add_entries(s, safe, [NewEntry("md5", MD5)])
    result = screener.lookup({"md5": MD5}, WHO)
    assert result.decision.value == "allow" and len(result.matches) == 2


def test_low_quality_pdq_takes_no_part(db: Database) -> None:
    with db.session() as s:
        bank = service.create_bank(s, BankSpec("q"))
        service.add_entries(s, bank, [NewEntry("pdq", PDQ_A)])
    screener = Screener(db, 50)
    assert screener.lookup({"pdq": PDQ_A}, WHO, pdq_quality=49).decision.value == "allow"
    assert screener.lookup({"pdq": PDQ_A}, WHO, pdq_quality=50).decision.value == "block"


def test_lookup_validates_hashes(db: Database) -> None:
    screener = Screener(db, 50)
    with pytest.raises(InvalidSignal):
        screener.lookup({"pdq": "xyz"}, WHO)
    with pytest.raises(InvalidSignal):
        screener.lookup({"crc32": "abcd"}, WHO)
    with pytest.raises(InvalidSignal):
        screener.lookup({}, WHO)
