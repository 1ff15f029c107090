"""The PDQ index in shards on Ray actors: each replica reads and replays only its shard
from a real database, the merged answers are exactly the single index's, and a killed
replica does not fail a query when its shard has another."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from safeguard.banks import service
from safeguard.banks.models import BankSpec, NewEntry
from safeguard.index.hamming import HammingIndex
from safeguard.scale.sharded import ShardedIndex
from safeguard.screening.matcher import Matcher
from safeguard.store.db import Database
from tests.conftest import fresh_database

ray = pytest.importorskip("ray")
from safeguard.scale.ray_shards import RayBackend  # noqa: E402


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    folder: Path = tmp_path_factory.mktemp("ray-shards")
    for url in fresh_database(request, "sqlite", folder):
        database = Database(url)
        yield database
        database.dispose()


def pdq_values(seed: int, count: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex() for _ in range(count)]


def add(db: Database, bank: str, values: list[str]) -> list[int]:
    with db.session() as session:
        target = service.get_bank(session, bank)
        return service.add_entries(session, target, [NewEntry("pdq", v) for v in values]).added_ids


def found(matcher: Matcher, queries: list[str], radius: int) -> list[tuple[int, str, int]]:
    candidates = matcher.near_candidates(
        "pdq", [("original", q) for q in queries], lambda kind, bank, view: radius
    )
    return sorted({(c.entry_id, c.bank_id, c.distance) for c in candidates})


def test_replicas_replay_their_shards_and_survive_a_killed_replica(
    cluster: None, db: Database, tmp_path: Path
) -> None:
    with db.session() as session:
        service.create_bank(session, BankSpec("known"))
        service.create_bank(session, BankSpec("other"))
    values = pdq_values(11, 400)
    known = add(db, "known", values[:250])
    add(db, "other", values[250:320])
    backend = RayBackend.create(2, replicas=2, database=db, snapshot_dir=tmp_path)
    index = ShardedIndex(backend, sync_seconds=3600)
    sharded, plain = Matcher(external={"pdq": index}), Matcher()
    queries = [f"{int(v, 16) ^ 0x7F0F:064x}" for v in values[::5]]  # 11 bits off
    try:
        for matcher in (sharded, plain):
            matcher.sync(db)
        assert found(sharded, queries, 31) == found(plain, queries, 31) != []
        sizes = [sum(state.sizes.values()) for state in backend.states()]
        assert sum(sizes) == 320 and min(sizes) > 0  # each replica holds only its shard

        add(db, "other", values[320:])
        with db.session() as session:
            bank = service.get_bank(session, "known")
            service.set_entry_enabled(session, bank, known[1], False)
            service.delete_entry(session, bank, known[2])
        assert sharded.catch_up(db) == plain.catch_up(db)
        expected = found(plain, queries, 44)
        assert found(sharded, queries, 44) == expected
        assert sharded.size()["pdq"] == plain.size()["pdq"] == 398

        ray.kill(backend.actors[1][0])
        for _ in range(4):  # round robin reaches the dead replica
            assert found(sharded, queries, 44) == expected
        assert [len(actors) for actors in backend.actors] == [2, 1]
        index.sync(force=True)  # a fresh replica takes the dead one's place
        assert [len(actors) for actors in backend.actors] == [2, 2]
        assert found(sharded, queries, 44) == expected

        assert None not in index.save_snapshots()  # an actor of each shard writes it
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "pdq-shard-0-of-2",
            "pdq-shard-1-of-2",
        ]
    finally:
        index.close()
    restarted = ShardedIndex(RayBackend.create(2, database=db, snapshot_dir=tmp_path))
    try:  # new actors open the shards' snapshots
        started = Matcher(external={"pdq": restarted})
        started.sync(db)
        assert found(started, queries, 44) == expected
        assert all(state.snapshot is not None for state in restarted.backend.states())
    finally:
        restarted.close()


def test_codes_added_through_ray_shards_match_one_index(cluster: None) -> None:
    rng = np.random.default_rng(5)
    codes = rng.integers(0, 256, (600, 32), dtype=np.uint8)
    ids = rng.permutation(5000)[:600].astype(np.int64)
    index = ShardedIndex(RayBackend.create(2))
    single = HammingIndex(codes, ids)
    try:
        index.add("bank", ids, codes)
        index.remove(ids[::4])
        single.remove(ids[::4])
        bits = np.unpackbits(codes[:100], axis=1)
        bits[:, :20] ^= 1
        queries = np.packbits(bits, axis=1)
        [answer] = index.search([("bank", 31, queries)])
        assert answer == single.search(queries, 31)
        assert sum(len(hits) for hits in answer) == 75
    finally:
        index.close()
