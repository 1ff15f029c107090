"""Shards on Ray actors: one actor per replica of each shard, each reading only its shard's
entries and changes from the database. A search goes to one replica of every shard in
turn; a replica that died is dropped and the next one answers, and ``sync`` starts a
fresh replica in its place (with a database to read its shard from; without one, a shard
keeps only the replicas it has left). The only module of the package that imports Ray."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np
import ray
from ray.exceptions import RayActorError

from safeguard.errors import NotReady
from safeguard.scale.replica import Hits, ReplicaState, Request, ShardReplica, shard_snapshots
from safeguard.scale.shard_log import ShardSpec
from safeguard.store.db import Database

log = logging.getLogger(__name__)


class ReplicaActor:
    """A ``ShardReplica`` inside a Ray actor; it opens the database itself."""

    def __init__(self, spec: ShardSpec, database_url: str | None, snapshot_dir: str | None) -> None:
        database = Database(database_url) if database_url is not None else None
        folder = Path(snapshot_dir) if snapshot_dir is not None else None
        self.replica = ShardReplica(spec, database, shard_snapshots(folder, spec))

    def search(self, requests: Sequence[Request]) -> list[list[Hits]]:
        return self.replica.search(requests)

    def add(self, bank_id: str, ids: np.ndarray, codes: np.ndarray) -> None:
        self.replica.add(bank_id, ids, codes)

    def remove(self, ids: np.ndarray) -> None:
        self.replica.remove(ids)

    def sync(self) -> ReplicaState:
        return self.replica.sync()

    def state(self) -> ReplicaState:
        return self.replica.state()

    def save_snapshot(self) -> int | None:
        return self.replica.save_snapshot()


def connect(address: str | None) -> None:
    """Join the Ray cluster at ``address``, or start a local one (no address), once."""
    if not ray.is_initialized():
        ray.init(address=address or None, include_dashboard=False, log_to_driver=False)


class RayBackend:
    """The replicas of every shard, as Ray actors."""

    def __init__(
        self,
        specs: Sequence[ShardSpec],
        replicas: int,
        database_url: str | None = None,
        cpus_per_replica: float = 0.0,
        snapshot_dir: Path | None = None,
    ) -> None:
        """``cpus_per_replica``: what Ray reserves for each actor (0: place them anywhere,
        even more actors than cores, as on one small machine); ``snapshot_dir``: where
        the shards' snapshots are kept (a folder every node of the cluster sees)."""
        self._specs = list(specs)
        self._url = database_url
        self._snapshot_dir = str(snapshot_dir) if snapshot_dir is not None else None
        self._actor = ray.remote(num_cpus=cpus_per_replica, max_restarts=0)(ReplicaActor)
        self._replicas: list[list[Any]] = [
            [self._start(spec) for _ in range(replicas)] for spec in self._specs
        ]
        self._width = replicas
        self._turns = [count() for _ in self._specs]
        self._lock = threading.Lock()

    @classmethod
    def create(
        cls,
        shards: int,
        replicas: int = 1,
        database: Database | None = None,
        kind: str = "pdq",
        snapshot_dir: Path | None = None,
    ) -> RayBackend:
        specs = [ShardSpec(kind, shard, shards) for shard in range(shards)]
        url = database.url if database is not None else None
        return cls(specs, replicas, url, snapshot_dir=snapshot_dir)

    @property
    def shards(self) -> int:
        return len(self._specs)

    @property
    def actors(self) -> list[list[Any]]:
        """The live actors of each shard."""
        with self._lock:
            return [list(shard) for shard in self._replicas]

    def search(self, requests: Sequence[Request]) -> list[list[list[Hits]]]:
        shared = ray.put(list(requests))
        return self._each_shard(lambda actor: actor.search.remote(shared))

    def add(self, shard: int, bank_id: str, ids: np.ndarray, codes: np.ndarray) -> None:
        ray.get([actor.add.remote(bank_id, ids, codes) for actor in self.actors[shard]])

    def remove(self, shard: int, ids: np.ndarray) -> None:
        ray.get([actor.remove.remote(ids) for actor in self.actors[shard]])

    def sync(self) -> list[ReplicaState]:
        """Every replica replays its changes; then new replicas, which read their shard
        from the database, take the place of those that died."""
        pending = [(shard, actor, actor.sync.remote()) for shard, actor in self._every()]
        states = []
        for shard, actor, ref in pending:
            try:
                states.append(ray.get(ref))
            except RayActorError:
                self._drop(shard, actor)
        return states + self._top_up()

    def states(self) -> list[ReplicaState]:
        states: list[ReplicaState] = self._each_shard(lambda actor: actor.state.remote())
        return states

    def save_snapshots(self) -> list[int | None]:
        saved: list[int | None] = self._each_shard(lambda actor: actor.save_snapshot.remote())
        return saved

    def close(self) -> None:
        for _, actor in self._every():
            ray.kill(actor)
        with self._lock:
            self._replicas = [[] for _ in self._specs]

    def _start(self, spec: ShardSpec) -> Any:
        return self._actor.remote(spec, self._url, self._snapshot_dir)

    def _every(self) -> list[tuple[int, Any]]:
        return [(shard, actor) for shard, actors in enumerate(self.actors) for actor in actors]

    def _top_up(self) -> list[ReplicaState]:
        """Start replicas where a shard has fewer than it should (with a database)."""
        if self._url is None:
            return []
        fresh = [
            (shard, self._start(self._specs[shard]))
            for shard, actors in enumerate(self.actors)
            for _ in range(self._width - len(actors))
        ]
        if not fresh:
            return []
        log.warning("starting %d index replicas in place of dead ones", len(fresh))
        states: list[ReplicaState] = ray.get([actor.sync.remote() for _, actor in fresh])
        with self._lock:
            for shard, actor in fresh:
                self._replicas[shard].append(actor)
        return states

    def _each_shard(self, call: Any) -> list[Any]:
        """``call(actor)`` on the next replica of every shard at once; a replica that died
        is dropped, and the shard's next replica is asked instead."""
        asked = [(shard, self._next(shard)) for shard in range(self.shards)]
        refs = [call(actor) for _, actor in asked]
        answers = []
        for (shard, actor), ref in zip(asked, refs, strict=True):
            while True:
                try:
                    answers.append(ray.get(ref))
                    break
                except RayActorError:
                    self._drop(shard, actor)
                    actor = self._next(shard)
                    ref = call(actor)
        return answers

    def _next(self, shard: int) -> Any:
        with self._lock:
            actors = self._replicas[shard]
            if not actors:
                raise NotReady(f"every replica of index shard {shard} is down")
            return actors[next(self._turns[shard]) % len(actors)]

    def _drop(self, shard: int, actor: Any) -> None:
        log.warning("a replica of shard %d is down; asking another", shard)
        with self._lock:
            if actor in self._replicas[shard]:
                self._replicas[shard].remove(actor)
