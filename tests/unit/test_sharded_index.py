"""The PDQ index split into shards in this process: exactly what one index answers, for
any codes, additions and removals, and through the matcher from a real database."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from threading import Event

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.banks import service
from safeguard.banks.models import BankSpec, NewEntry
from safeguard.config import Settings
from safeguard.errors import ConfigError, NotReady
from safeguard.index.hamming import HammingIndex
from safeguard.scale import factory
from safeguard.scale.assignment import shard_of, split
from safeguard.scale.local import LocalBackend
from safeguard.scale.replica import Hits, ShardReplica
from safeguard.scale.shard_log import ShardSpec
from safeguard.scale.sharded import ShardedIndex
from safeguard.screening.matcher import Matcher
from safeguard.screening.service import Requester
from safeguard.screening.snapshots import SnapshotStore, SnapshotWriter
from safeguard.services import Services
from safeguard.store.db import Database

BANK = "known"
WHO = Requester("tests", "lookup")


def near(rng: np.random.Generator, codes: np.ndarray, count: int, flips: int) -> np.ndarray:
    """``count`` codes, each one of ``codes`` with up to ``flips`` bits flipped."""
    bits = np.unpackbits(codes[rng.integers(0, len(codes), count)], axis=1)
    for row in bits:
        row[rng.choice(256, int(rng.integers(0, flips + 1)), replace=False)] ^= 1
    return np.packbits(bits, axis=1)


def brute_force(held: dict[int, np.ndarray], queries: np.ndarray, radius: int) -> list[Hits]:
    ids = np.array(sorted(held), dtype=np.int64)
    if not len(ids):
        return [[] for _ in queries]
    codes = np.stack([held[i] for i in ids.tolist()])
    answers = []
    for query in queries:
        distances = np.unpackbits(codes ^ query, axis=1).sum(axis=1)
        hits = [(int(i), int(d)) for i, d in zip(ids, distances, strict=True) if d <= radius]
        answers.append(sorted(hits, key=lambda hit: (hit[1], hit[0])))
    return answers


@pytest.fixture
def sharded() -> Iterator[object]:
    made: list[ShardedIndex] = []

    def make(shards: int, replicas: int = 1) -> ShardedIndex:
        made.append(ShardedIndex(LocalBackend.create(shards, replicas)))
        return made[-1]

    yield make
    for index in made:
        index.close()


def test_entries_are_assigned_by_id_modulo_shards() -> None:
    ids = np.array([0, 1, 2, 3, 4, 5, 10, 11], dtype=np.int64)
    assert shard_of(ids, 3).tolist() == [0, 1, 2, 0, 1, 2, 1, 2]
    assert [ids[rows].tolist() for rows in split(ids, 3)] == [[0, 3], [1, 4, 10], [2, 5, 11]]
    with pytest.raises(ValueError):
        shard_of(ids, 0)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shards=st.integers(1, 4),
    sizes=st.lists(st.integers(0, 300), min_size=1, max_size=4),
    radius=st.sampled_from([0, 8, 31, 44, 90]),
)
def test_shards_answer_exactly_what_one_index_answers(
    seed: int, shards: int, sizes: list[int], radius: int
) -> None:
    """Rounds of additions (some replacing a code) and removals, then a search."""
    rng = np.random.default_rng(seed)
    index = ShardedIndex(LocalBackend.create(shards, replicas=2))
    single = HammingIndex()
    held: dict[int, np.ndarray] = {}
    try:
        for size in sizes:
            base = rng.integers(0, 256, (max(size, 1), 32), dtype=np.uint8)
            codes = np.concatenate([base, near(rng, base, size, 12)])[: size * 2]
            ids = rng.integers(0, 900, len(codes)).astype(np.int64)
            ids, first = np.unique(ids, return_index=True)
            codes = codes[first]
            index.add(BANK, ids, codes)
            single.add(ids, codes)
            held.update(zip(ids.tolist(), codes, strict=True))
            gone = rng.integers(0, 900, size // 3).astype(np.int64)
            index.remove(gone)
            single.remove(gone)
            for item in gone.tolist():
                held.pop(item, None)
        pool = np.stack(list(held.values())) if held else rng.integers(0, 256, (1, 32), np.uint8)
        queries = np.concatenate(
            [near(rng, pool, 20, 40), rng.integers(0, 256, (5, 32), dtype=np.uint8)]
        )
        [answer] = index.search([(BANK, radius, queries)])
        assert answer == single.search(queries, radius) == brute_force(held, queries, radius)
        assert len(index) == len(single) == len(held)
    finally:
        index.close()


def test_shards_with_tables_and_several_banks_match_one_index(sharded) -> None:  # type: ignore[no-untyped-def]
    """Shards large enough to build multi-index tables; each bank searched at its radius."""
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 256, (12_000, 32), dtype=np.uint8)
    codes[6000:] = near(rng, codes[:6000], 6000, 20)
    ids = rng.permutation(40_000)[:12_000].astype(np.int64)
    index: ShardedIndex = sharded(3)
    singles = {"a": HammingIndex(), "b": HammingIndex()}
    for bank, rows in (("a", slice(0, 9000)), ("b", slice(9000, None))):
        index.add(bank, ids[rows], codes[rows])
        singles[bank].add(ids[rows], codes[rows])
    queries = near(rng, codes, 200, 40)
    answers = index.search([("a", 31, queries), ("b", 44, queries), ("none", 31, queries[:3])])
    assert answers[0] == singles["a"].search(queries, 31)
    assert answers[1] == singles["b"].search(queries, 44)
    assert answers[2] == [[], [], []]
    assert index.banks() == ["a", "b"] and len(index) == 12_000


def pdq_values(seed: int, count: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex() for _ in range(count)]


def found(matcher: Matcher, queries: list[str], radius: int) -> list[tuple[int, str, int]]:
    candidates = matcher.near_candidates(
        "pdq", [("original", q) for q in queries], lambda kind, bank, view: radius
    )
    return sorted({(c.entry_id, c.bank_id, c.distance) for c in candidates})


def add(db: Database, bank: str, values: list[str]) -> list[int]:
    with db.session() as session:
        target = service.get_bank(session, bank)
        return service.add_entries(session, target, [NewEntry("pdq", v) for v in values]).added_ids


def test_a_matcher_with_shards_replays_each_shard_like_one_index(db: Database) -> None:
    """Shards that read the database themselves find what the plain matcher finds, after
    additions, a disabled entry, a deleted one and a new bank."""
    with db.session() as session:
        service.create_bank(session, BankSpec("known"))
    values = pdq_values(3, 500)
    known = add(db, "known", values[:400])
    index = ShardedIndex(LocalBackend.create(3, database=db), sync_seconds=3600)
    sharded, plain = Matcher(external={"pdq": index}), Matcher()
    try:
        queries = [f"{int(v, 16) ^ 0x10F:064x}" for v in values[::7]]  # 5 bits off
        for matcher in (sharded, plain):
            matcher.sync(db)
        assert found(sharded, queries, 31) == found(plain, queries, 31) != []

        add(db, "known", values[400:450])
        with db.session() as session:
            bank = service.get_bank(session, "known")
            service.set_entry_enabled(session, bank, known[0], False)
            service.delete_entry(session, bank, known[7])
            service.create_bank(session, BankSpec("third"))
        add(db, "third", values[450:])
        assert sharded.catch_up(db) == plain.catch_up(db)  # forced past sync_seconds
        result = found(sharded, queries, 31)
        assert result == found(plain, queries, 31)
        assert len({bank for _, bank, _ in result}) == 2
        assert known[0] not in {entry for entry, _, _ in result}
        assert sharded.size()["pdq"] == plain.size()["pdq"] == 498
    finally:
        index.close()


def test_without_ray_the_shards_run_in_process(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(factory, "ray_installed", lambda: False)
    index = factory.open_sharded(db, 2, replicas=2)
    try:
        assert isinstance(index.backend, LocalBackend) and index.shards == 2
    finally:
        index.close()
    with pytest.raises(ConfigError, match="SAFEGUARD_RAY_ADDRESS"):
        factory.open_sharded(db, 2, ray_address="ray://head:10001")


def test_the_package_imports_ray_only_for_the_ray_backend() -> None:
    code = (
        "import sys, safeguard.scale.factory, safeguard.scale.sharded; "
        "assert 'ray' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_shards_are_configured_from_the_environment() -> None:
    default = Settings.from_env({})
    assert (default.index_shards, default.index_replicas, default.ray_address) == (1, 1, None)
    env = {
        "SAFEGUARD_INDEX_SHARDS": "4",
        "SAFEGUARD_INDEX_REPLICAS": "2",
        "SAFEGUARD_RAY_ADDRESS": "ray://head:10001",
    }
    chosen = Settings.from_env(env)
    assert (chosen.index_shards, chosen.index_replicas) == (4, 2)
    assert chosen.ray_address == "ray://head:10001"
    with pytest.raises(ConfigError):
        Settings.from_env({"SAFEGUARD_INDEX_SHARDS": "0"})


def test_a_replica_that_has_not_read_its_shard_refuses_to_answer(db: Database) -> None:
    """An empty answer would let a known image through: not ready instead."""
    replica = ShardReplica(ShardSpec("pdq", 0, 2), db)
    codes = np.zeros((1, 32), dtype=np.uint8)
    with pytest.raises(NotReady):
        replica.search([(BANK, 31, codes)])
    replica.sync()
    assert replica.search([(BANK, 31, codes)]) == [[[]]]


def test_a_sharded_matcher_starts_from_a_snapshot_without_its_pdq_indexes(
    db: Database, tmp_path: Path
) -> None:
    """A snapshot written before sharding holds PDQ indexes: the shards read their own."""
    with db.session() as session:
        service.create_bank(session, BankSpec("known"))
    values = pdq_values(4, 50)
    add(db, "known", values)
    store = SnapshotStore(tmp_path / "snapshots")
    writer = Matcher(snapshots=store)
    writer.sync(db)
    SnapshotWriter(writer, db, store, timedelta(hours=1)).run_pass(Event())
    assert store.latest() is not None and "pdq" in store.latest().kinds  # type: ignore[union-attr]
    index = ShardedIndex(LocalBackend.create(2, database=db))
    try:
        started = Matcher(snapshots=store, external={"pdq": index})
        started.sync(db)
        assert found(started, values[:5], 0) == found(writer, values[:5], 0) != []
    finally:
        index.close()


def test_shards_start_from_their_own_snapshots_and_replay_later_changes(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each shard writes its snapshot; a new set of replicas opens them without reading
    the entries table, then replays only what was logged since."""
    with db.session() as session:
        service.create_bank(session, BankSpec(BANK))
    values = pdq_values(5, 60)
    add(db, BANK, values[:50])
    folder = tmp_path / "snapshots"
    first = ShardedIndex(LocalBackend.create(2, database=db, snapshot_dir=folder))
    try:
        written = Matcher(snapshots=SnapshotStore(folder), external={"pdq": first})
        written.sync(db)
        SnapshotWriter(written, db, SnapshotStore(folder), timedelta(hours=1)).run_pass(Event())
        assert first.save_snapshots() == [None, None]  # nothing new since
    finally:
        first.close()
    shard_folders = sorted(p.name for p in folder.iterdir() if p.name.startswith("pdq-shard"))
    assert shard_folders == ["pdq-shard-0-of-2", "pdq-shard-1-of-2"]
    add(db, BANK, values[50:])

    def no_entries_read(*_: object) -> None:
        raise AssertionError("a replica read its entries instead of its snapshot")

    monkeypatch.setattr("safeguard.scale.replica.shard_entries", no_entries_read)
    second = ShardedIndex(LocalBackend.create(2, database=db, snapshot_dir=folder))
    try:
        started = Matcher(external={"pdq": second})
        started.sync(db)
        plain = Matcher()
        plain.sync(db)
        assert len(second) == 60
        assert [state.snapshot is not None for state in second.backend.states()] == [True] * 2
        assert found(started, values, 0) == found(plain, values, 0)
        assert len(found(started, values, 0)) == 60
    finally:
        second.close()


def test_services_with_shards_screen_through_them(
    tmp_path: Path, migrated_sqlite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SAFEGUARD_INDEX_SHARDS=3 without Ray: lookups match through in-process shards."""
    monkeypatch.setattr(factory, "ray_installed", lambda: False)
    shutil.copy(migrated_sqlite, tmp_path / "safeguard.db")
    env = {"SAFEGUARD_DATA_DIR": str(tmp_path), "SAFEGUARD_INDEX_SHARDS": "3"}
    services = Services(Settings.from_env(env))
    try:
        with services.db.session() as session:
            service.create_bank(session, BankSpec("known"))
        [value] = pdq_values(9, 1)
        add(services.db, "known", [value])
        screener = services.screener
        near_value = f"{int(value, 16) ^ 0b111:064x}"
        assert screener.lookup({"pdq": near_value}, WHO).decision.value == "block"
        assert services.screener.matcher.size()["pdq"] == 1
    finally:
        services.close()
