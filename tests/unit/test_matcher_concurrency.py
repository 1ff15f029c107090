"""The matcher under threads, and each bank searched within its own thresholds."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from safeguard.banks import service
from safeguard.banks.models import BankSpec, NewEntry
from safeguard.index.hamming import HammingIndex
from safeguard.screening.service import Requester, Screener
from safeguard.store.db import Database

WHO = Requester("tests", "lookup")


def random_pdq(rng: np.random.Generator) -> str:
    """A balanced 256-bit value, shaped like a real PDQ hash (128 bits set)."""
    bits = np.zeros(256, dtype=np.uint8)
    bits[rng.choice(256, 128, replace=False)] = 1
    return np.packbits(bits).tobytes().hex()


def flipped(value: str, bits: int) -> str:
    number = int(value, 16) ^ ((1 << bits) - 1)
    return f"{number:064x}"


def test_each_bank_is_searched_within_its_own_threshold(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bank with a wide threshold (even an empty one) must not widen another's search."""
    rng = np.random.default_rng(1)
    known = random_pdq(rng)
    with db.session() as s:
        service.create_bank(s, BankSpec("wide-and-empty", thresholds={"pdq": 44}))
        tight = service.create_bank(s, BankSpec("tight", thresholds={"pdq": 4}))
        service.add_entries(s, tight, [NewEntry("pdq", known)])
    radii: list[int] = []
    search = HammingIndex.search

    def recording(index: HammingIndex, queries: np.ndarray, max_distance: int) -> object:
        radii.append(max_distance)
        return search(index, queries, max_distance)

    monkeypatch.setattr(HammingIndex, "search", recording)
    screener = Screener(db, 50)
    assert screener.lookup({"pdq": flipped(known, 3)}, WHO).decision.value == "block"
    assert screener.lookup({"pdq": flipped(known, 10)}, WHO).decision.value == "allow"
    assert radii and max(radii) == 4


def test_parallel_lookups_with_bank_changes_all_answer(db: Database) -> None:
    """Many threads deciding at once while entries are added and disabled: no deadlock,
    no error, and every decision is one the banks allowed at some point of the run."""
    rng = np.random.default_rng(2)
    known = [random_pdq(rng) for _ in range(4)]
    with db.session() as s:
        bank = service.create_bank(s, BankSpec("known"))
        service.add_entries(s, bank, [NewEntry("pdq", v) for v in known[:2]])
    screener = Screener(db, 50)
    threads = 16 if db.dialect == "postgresql" else 8
    errors: list[BaseException] = []
    decisions: list[str] = []
    start = threading.Barrier(threads + 1)

    def screen(worker: int) -> None:
        start.wait()
        try:
            for i in range(12):
                value = known[(worker + i) % len(known)]
                decisions.append(screener.lookup({"pdq": value}, WHO).decision.value)
        except BaseException as exc:
            errors.append(exc)

    def change_banks() -> None:
        start.wait()
        for value in known[2:]:
            with db.session() as s:
                service.add_entries(s, service.get_bank(s, "known"), [NewEntry("pdq", value)])
        with db.session() as s:
            bank = service.get_bank(s, "known")
            first, _item = service.list_entries(s, bank, limit=1)[0]
            service.set_entry_enabled(s, bank, first.id, False)

    workers = [threading.Thread(target=screen, args=(w,)) for w in range(threads)]
    workers.append(threading.Thread(target=change_banks))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert not any(worker.is_alive() for worker in workers), "a thread never finished"
    assert errors == []
    assert len(decisions) == threads * 12
    # After the run, every worker's index has caught up with the changes.
    results = [screener.lookup({"pdq": v}, WHO).decision.value for v in known]
    assert results == ["allow", "block", "block", "block"]
    assert screener.matcher.size()["pdq"] == 3
