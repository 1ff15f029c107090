"""Bank operations, the change log, and matchers kept in sync across instances."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from safeguard.banks import service
from safeguard.banks.models import BankAction, BankKind, BankSpec, NewEntry, validate_quality
from safeguard.errors import Conflict, InvalidList, InvalidName, InvalidSignal, NotFound
from safeguard.media.decode import DecodeLimits
from safeguard.screening.matcher import Matcher
from safeguard.screening.service import Requester, Screener
from safeguard.screening.signals import content_signals
from safeguard.signals.pdq import MAX_THRESHOLD, PDQ
from safeguard.store.db import Database
from safeguard.store.models import Entry, EntryChange
from tests.conftest import FIXTURES

PDQ_A = "d8f8f0cec4f4a84f0637022a078f67f0b36e2ee5b6621e1d33e6239c4e9c9b22"
PDQ_A_NEAR = "d8f8f0cec4f4a84f0637022a078f67f0b36e2ec5b6623e1d33e6239c4e9c9b22"  # 2 bits away
MD5 = "5dc1441dd7a12fa79f2a43b1ebc93eab"
WHO = Requester("tests", "lookup")
LIMITS = DecodeLimits(50 * 1024 * 1024, 50_000_000)


def test_bank_names_and_thresholds_are_validated() -> None:
    with pytest.raises(InvalidName):
        BankSpec("has space")
    with pytest.raises(InvalidSignal):
        BankSpec("ok", thresholds={"pdq": 200})
    assert BankSpec("ok", thresholds={"pdq": MAX_THRESHOLD}).thresholds["pdq"] == 44
    for threshold in (MAX_THRESHOLD + 1, 128, -1):
        with pytest.raises(InvalidSignal, match="between 0 and 44"):
            BankSpec("ok", thresholds={"pdq": threshold})


@pytest.mark.parametrize("value", ["0" * 64, "f" * 64, "0" * 62 + "ff", "f" * 62 + "00"])
def test_degenerate_pdq_values_are_refused_as_entries(value: str) -> None:
    with pytest.raises(InvalidSignal, match="bits set"):
        NewEntry("pdq", value)
    assert NewEntry("md5", value[:32]).value == value[:32]  # only PDQ values have a shape


def test_real_hashes_are_plausible(shared_data: Path) -> None:
    """No PDQ hash of a real image is refused: the references' and those of every photo
    and reference image in ../shared (bounds 64 to 192 bits set; photos have 128)."""
    with (FIXTURES / "reference/expected.csv").open() as handle:
        values = [row["pdq"] for row in csv.DictReader(handle)]
    reference = shared_data / "reference/threatexchange/pdq"
    with (reference / "wasm/test/TestData/PDQMD5TestData.csv").open() as handle:
        values += [row["Hash"] for row in csv.DictReader(handle)]
    images = [*(shared_data / "photos").iterdir(), *(reference / "data").rglob("*")]
    for path in images:
        if path.suffix.lower() in {".jpg", ".jpeg", ".png"}:
            own = content_signals(path.read_bytes(), LIMITS, views=False).own("pdq")
            values.append(own.value if own else "")
    assert len(values) >= 500
    for value in values:
        assert PDQ.check_bank_value(value) == value


def test_pdq_quality_below_the_minimum_is_refused() -> None:
    validate_quality("pdq", None, 50)
    validate_quality("pdq", 50, 50)
    with pytest.raises(InvalidSignal, match="below the minimum of 50"):
        validate_quality("pdq", 49, 50)
    with pytest.raises(InvalidSignal, match="md5 values have no quality"):
        validate_quality("md5", 90, 50)


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
    service.delete_bank(db, "known")
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
    service.delete_bank(db, "live")
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
    assert screener.lookup({"pdq": PDQ_A}, WHO, qualities={"pdq": 49}).decision.value == "allow"
    assert screener.lookup({"pdq": PDQ_A}, WHO, qualities={"pdq": 50}).decision.value == "block"


def test_lookup_validates_hashes(db: Database) -> None:
    screener = Screener(db, 50)
    with pytest.raises(InvalidSignal):
        screener.lookup({"pdq": "xyz"}, WHO)
    with pytest.raises(InvalidSignal):
        screener.lookup({"crc32": "abcd"}, WHO)
    with pytest.raises(InvalidSignal):
        screener.lookup({}, WHO)


def random_md5s(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [bytes(row).hex() for row in rng.integers(0, 256, (count, 16), dtype=np.uint8)]


def csv_bytes(values: list[str]) -> io.BytesIO:
    return io.BytesIO("".join(f"md5,{v}\n" for v in values).encode())


def test_import_checks_the_whole_list_first_and_is_idempotent(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "_BATCH", 100)
    values = random_md5s(250, 1)
    with db.session() as s:
        service.create_bank(s, BankSpec("big"))
    bad = io.BytesIO(csv_bytes(values).getvalue() + b"pdq," + b"0" * 64 + b"\n")
    with pytest.raises(InvalidList, match="line 251:"):
        service.import_list(db, "big", bad)
    with db.read_session() as s:
        assert service.list_banks(s)[0].entries == 0  # nothing imported
    first = service.import_list(db, "big", csv_bytes(values[:120]))
    again = service.import_list(db, "big", csv_bytes(values))  # a retry after a failure
    assert (first.added, first.already_present) == (120, 0)
    assert (again.added, again.already_present) == (130, 120)
    assert "".join(service.export_list(db, "big")).split()[1:] == [f"md5,{v},," for v in values]
    with pytest.raises(NotFound):
        service.import_list(db, "none", csv_bytes(values))


def test_delete_removes_entries_in_batches_with_their_change_log(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "_BATCH", 100)
    with db.session() as s:
        service.create_bank(s, BankSpec("gone"))
        keep = service.create_bank(s, BankSpec("kept"))
        service.add_entries(s, keep, [NewEntry("md5", MD5)])
    service.import_list(db, "gone", csv_bytes(random_md5s(300, 2)))
    transactions = 0
    session = db.session

    def counting() -> object:
        nonlocal transactions
        transactions += 1
        return session()

    monkeypatch.setattr(db, "session", counting)
    service.delete_bank(db, "gone")
    # One to mark the bank deleted, three full batches of entries, three of their content
    # items (one each: the list had no external ids), then the last (empty) one with it.
    assert transactions == 8
    with db.read_session() as s:
        assert [b.bank.name for b in service.list_banks(s)] == ["kept"]
        assert s.query(EntryChange).count() == 301 + 300
    with pytest.raises(NotFound):
        service.delete_bank(db, "gone")


def test_a_deleted_bank_stops_matching_before_its_entries_are_purged(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as s:
        bank = service.create_bank(s, BankSpec("old"))
        service.add_entries(s, bank, [NewEntry("pdq", PDQ_A), NewEntry("md5", MD5)])
    screener = Screener(db, 50)
    assert screener.lookup({"pdq": PDQ_A_NEAR}, WHO).decision.value == "block"
    purge = service.purge_deleted_banks
    monkeypatch.setattr(service, "purge_deleted_banks", lambda _db: None)  # interrupted
    service.delete_bank(db, "old")
    assert screener.lookup({"pdq": PDQ_A_NEAR}, WHO).decision.value == "allow"
    assert screener.lookup({"md5": MD5}, WHO).decision.value == "allow"
    with db.session() as s:
        assert service.list_banks(s) == []
        service.create_bank(s, BankSpec("old"))  # the name is free at once
    purge(db)
    with db.read_session() as s:
        assert [b.bank.name for b in service.list_banks(s)] == ["old"]
        assert s.query(Entry).count() == 0
