"""Shards in this process: each replica a ``ShardReplica``, the shards searched on a thread
pool (the search kernels release the GIL, so shards use several cores). No Ray needed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import count
from pathlib import Path
from typing import TypeVar

import numpy as np

from safeguard.scale.replica import (
    Hits,
    ReplicaState,
    Request,
    ShardReplica,
    shard_snapshots,
)
from safeguard.scale.shard_log import ShardSpec
from safeguard.store.db import Database

T = TypeVar("T")


class LocalBackend:
    """The replicas of every shard, as objects of this process."""

    def __init__(self, replicas: Sequence[Sequence[ShardReplica]]) -> None:
        self._replicas = [list(shard) for shard in replicas]
        self._turns = [count() for _ in self._replicas]
        self._pool = ThreadPoolExecutor(len(self._replicas), thread_name_prefix="shard")

    @classmethod
    def create(
        cls,
        shards: int,
        replicas: int = 1,
        database: Database | None = None,
        kind: str = "pdq",
        snapshot_dir: Path | None = None,
    ) -> LocalBackend:
        """``shards`` shards of ``replicas`` replicas each, reading ``database``, with
        their snapshots under ``snapshot_dir`` (None: none)."""
        specs = [ShardSpec(kind, shard, shards) for shard in range(shards)]
        return cls(
            [
                [
                    ShardReplica(spec, database, shard_snapshots(snapshot_dir, spec))
                    for _ in range(replicas)
                ]
                for spec in specs
            ]
        )

    @property
    def shards(self) -> int:
        return len(self._replicas)

    def search(self, requests: Sequence[Request]) -> list[list[list[Hits]]]:
        return self._each(self._chosen(), lambda replica: replica.search(requests))

    def add(self, shard: int, bank_id: str, ids: np.ndarray, codes: np.ndarray) -> None:
        for replica in self._replicas[shard]:
            replica.add(bank_id, ids, codes)

    def remove(self, shard: int, ids: np.ndarray) -> None:
        for replica in self._replicas[shard]:
            replica.remove(ids)

    def sync(self) -> list[ReplicaState]:
        every = [replica for shard in self._replicas for replica in shard]
        return self._each(every, ShardReplica.sync)

    def states(self) -> list[ReplicaState]:
        return [replica.state() for replica in self._chosen()]

    def save_snapshots(self) -> list[int | None]:
        return self._each(self._chosen(), ShardReplica.save_snapshot)

    def close(self) -> None:
        self._pool.shutdown()

    def _chosen(self) -> list[ShardReplica]:
        """The next replica of each shard, in turn."""
        return [
            shard[next(turn) % len(shard)]
            for shard, turn in zip(self._replicas, self._turns, strict=True)
        ]

    def _each(self, replicas: list[ShardReplica], call: Callable[[ShardReplica], T]) -> list[T]:
        if len(replicas) == 1:
            return [call(replicas[0])]
        return list(self._pool.map(call, replicas))
