"""Index snapshots: a worker started from one finds exactly what a worker that read every
entry finds, after any changes since; a snapshot of another database is never used."""

from __future__ import annotations

import fcntl
import logging
from datetime import timedelta
from pathlib import Path
from threading import Event

import numpy as np
import pytest

from safeguard.banks import service
from safeguard.banks.models import BankSpec, NewEntry
from safeguard.errors import NotReady
from safeguard.index.hamming import HammingIndex
from safeguard.screening.matcher import Matcher
from safeguard.screening.snapshots import CURRENT, SnapshotStore, SnapshotWriter
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade

BANKS = ("known", "later")


def pdq_values(seed: int, count: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex() for _ in range(count)]


def fill(db: Database, values: list[str], bank: str) -> list[int]:
    with db.session() as session:
        target = service.get_bank(session, bank)
        added = service.add_entries(session, target, [NewEntry("pdq", v) for v in values])
        return added.added_ids


def found(matcher: Matcher, queries: list[str], radius: int) -> list[tuple[int, str, int]]:
    """Every (entry, bank, distance) within ``radius`` of any query, in every bank."""
    candidates = matcher.near_candidates("pdq", [("original", q) for q in queries], _radius(radius))
    return sorted({(c.entry_id, c.bank_id, c.distance) for c in candidates})


def _radius(radius: int):  # type: ignore[no-untyped-def]
    return lambda kind, bank, view: radius


@pytest.fixture
def banked(db: Database) -> Database:
    with db.session() as session:
        for name in BANKS:
            service.create_bank(session, BankSpec(name))
    return db


def test_a_worker_started_from_a_snapshot_matches_like_one_that_read_everything(
    banked: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SnapshotStore(tmp_path / "snapshots")
    values = pdq_values(1, 4600)
    known = fill(banked, values[:4200], "known")  # a segment with tables
    fill(banked, values[4200:4400], "later")  # a buffer
    writer = Matcher(snapshots=store)
    writer.sync(banked)
    frozen = writer.freeze()
    assert frozen is not None and frozen.kinds == ("pdq",)  # vPDQ is read at start
    SnapshotWriter(writer, banked, store, timedelta(hours=1)).run_pass(Event())
    assert store.latest() is not None and store.latest().seq == frozen.seq  # type: ignore[union-attr]

    # Changes after the snapshot: new entries, one disabled, one deleted, a new bank.
    fill(banked, values[4400:], "known")
    with banked.session() as session:
        bank = service.get_bank(session, "known")
        service.set_entry_enabled(session, bank, known[3], False)
        service.delete_entry(session, bank, known[4])
        service.create_bank(session, BankSpec("third"))
    fill(banked, pdq_values(2, 10), "third")

    started = Matcher(snapshots=store)
    with caplog.at_level(logging.INFO):
        started.sync(banked)
    assert f"started from the index snapshot at change {frozen.seq}" in caplog.text
    fresh = Matcher()
    fresh.sync(banked)
    assert started.size() == fresh.size()
    near = [_flip(v, bits) for v, bits in zip(values[::97], range(40), strict=False)]
    queries = near + pdq_values(3, 20)
    for radius in (0, 8, 31, 44):
        assert found(started, queries, radius) == found(fresh, queries, radius)
    assert (known[3], _bank_id(banked, "known"), 0) not in found(started, [values[3]], 0)


def test_a_snapshot_of_another_database_is_not_used(
    banked: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SnapshotStore(tmp_path / "snapshots")
    fill(banked, pdq_values(4, 50), "known")
    writer = Matcher(snapshots=store)
    writer.sync(banked)
    SnapshotWriter(writer, banked, store, timedelta(hours=1)).run_pass(Event())

    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    upgrade(other_url)
    other = Database(other_url)
    try:
        with other.session() as session:
            service.create_bank(session, BankSpec("known"))
        fill(other, pdq_values(5, 50), "known")  # the same sequence numbers, other changes
        started = Matcher(snapshots=store)
        with caplog.at_level(logging.WARNING):
            started.sync(other)
        assert "not of this database" in caplog.text
        assert found(started, pdq_values(5, 3), 0) == found(_fresh(other), pdq_values(5, 3), 0)
        assert found(started, pdq_values(4, 3), 0) == []
    finally:
        other.dispose()


def test_an_unreadable_snapshot_is_ignored(banked: Database, tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "snapshots")
    fill(banked, pdq_values(6, 20), "known")
    store.folder.mkdir()
    (store.folder / CURRENT).write_text("seq-1")
    (store.folder / "seq-1").mkdir()
    (store.folder / "seq-1" / "manifest.json").write_text("{not json")
    assert store.latest() is None
    started = Matcher(snapshots=store)
    started.sync(banked)
    assert started.size()["pdq"] == 20


def test_the_writer_skips_unchanged_indexes_and_keeps_two(banked: Database, tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "snapshots")
    matcher = Matcher(snapshots=store)
    writer = SnapshotWriter(matcher, banked, store, timedelta(hours=1))
    for seed in range(3):
        fill(banked, pdq_values(10 + seed, 5), "known")
        writer.run_pass(Event())
    written = sorted(p.name for p in store.folder.glob("seq-*"))
    assert len(written) == 2
    mtime = (store.folder / CURRENT).stat().st_mtime_ns
    writer.run_pass(Event())
    assert (store.folder / CURRENT).stat().st_mtime_ns == mtime


def test_a_frozen_index_saves_its_state_at_the_freeze(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 256, (5000, 32), dtype=np.uint8)
    index = HammingIndex(codes[:4500], np.arange(4500))
    index.add(np.arange(4500, 4600), codes[4500:4600])  # into the buffer
    frozen = index.freeze()
    index.remove(np.array([1, 4501]))
    index.add(np.arange(4600, 5000), codes[4600:])
    frozen.save(tmp_path / "frozen")
    loaded = HammingIndex.load(tmp_path / "frozen")
    assert len(loaded) == 4600
    assert loaded.search(codes[[1, 4501, 4700]], 0) == [[(1, 0)], [(4501, 0)], []]


def _flip(value: str, bits: int) -> str:
    number = int(value, 16) ^ ((1 << bits) - 1)
    return f"{number:064x}"


def _fresh(db: Database) -> Matcher:
    matcher = Matcher()
    matcher.sync(db)
    return matcher


def _bank_id(db: Database, name: str) -> str:
    with db.session() as session:
        return service.get_bank(session, name).id


def test_readiness_is_having_applied_every_change_logged(banked: Database, tmp_path: Path) -> None:
    matcher = Matcher()
    assert matcher.catch_up(banked) == 0
    fill(banked, pdq_values(20, 3), "known")
    assert matcher.catch_up(banked) == 3
    assert matcher.size()["pdq"] == 3
    gone = Database(f"sqlite:///{tmp_path / 'missing' / 'safeguard.db'}")
    with pytest.raises(NotReady, match="cannot catch up"):
        Matcher().catch_up(gone)


def test_a_process_finding_another_writing_skips_its_turn(banked: Database, tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "snapshots")
    matcher = Matcher()
    matcher.sync(banked)
    frozen = matcher.freeze()
    assert frozen is not None
    store.folder.mkdir()
    with (store.folder / ".lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert store.write(frozen, None) is None
    assert store.write(frozen, None) is not None
    assert [p.name for p in store.folder.iterdir() if p.name.startswith(".writing")] == []
