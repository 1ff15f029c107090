"""An index split into shards by entry id: a batch of radius queries goes to one replica of
every shard, and their answers are merged into exactly what one index over every entry
answers (each entry lives in one shard; hits are ordered by distance, then entry id)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from itertools import chain
from typing import Protocol

import numpy as np

from safeguard.scale.assignment import split
from safeguard.scale.replica import Hits, ReplicaState, Request, hex_codes

SYNC_SECONDS = 1.0
"""Replicas are asked to replay the change log at most this often, unless forced."""


class ShardBackend(Protocol):
    """Where the replicas of every shard live, and how calls reach them."""

    @property
    def shards(self) -> int:
        """How many shards there are."""

    def search(self, requests: Sequence[Request]) -> list[list[list[Hits]]]:
        """Each shard's answer to ``requests``, from one live replica of it."""

    def add(self, shard: int, bank_id: str, ids: np.ndarray, codes: np.ndarray) -> None:
        """Add to every replica of ``shard``."""

    def remove(self, shard: int, ids: np.ndarray) -> None:
        """Remove from every replica of ``shard``."""

    def sync(self) -> list[ReplicaState]:
        """Have every replica replay its shard's changes; their states."""

    def states(self) -> list[ReplicaState]:
        """The state of one live replica of each shard."""

    def save_snapshots(self) -> list[int | None]:
        """Have one live replica of each shard write the shard's snapshot (when it has
        changed): the sequence each wrote, or None."""

    def close(self) -> None:
        """Stop the replicas."""


def _nearest_first(hit: tuple[int, int]) -> tuple[int, int]:
    return hit[1], hit[0]


def merge(answers: Sequence[list[list[Hits]]]) -> list[list[Hits]]:
    """One answer from the shards' answers (shard, request, query -> hits)."""
    return [
        [
            sorted(chain.from_iterable(hits), key=_nearest_first)
            for hits in zip(*request, strict=True)
        ]
        for request in zip(*answers, strict=True)
    ]


class ShardedIndex:
    """PDQ codes by bank, split by entry id over a backend's shards; thread-safe."""

    def __init__(self, backend: ShardBackend, sync_seconds: float = SYNC_SECONDS) -> None:
        self.backend = backend
        self.sync_seconds = sync_seconds
        self._banks: set[str] = set()
        self._seq = 0
        self._synced_at: float | None = None
        self._sync_lock = threading.Lock()

    @property
    def shards(self) -> int:
        return self.backend.shards

    def add(self, bank_id: str, ids: np.ndarray, codes: np.ndarray) -> None:
        """Add ids under codes in a bank, each to its shard."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        for shard, rows in enumerate(split(ids, self.shards)):
            if len(rows):
                self.backend.add(shard, bank_id, ids[rows], codes[rows])
        self._banks.add(bank_id)

    def remove(self, ids: np.ndarray) -> None:
        """Remove ids from every bank."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        for shard, rows in enumerate(split(ids, self.shards)):
            if len(rows):
                self.backend.remove(shard, ids[rows])

    def search(self, requests: Sequence[Request]) -> list[list[Hits]]:
        """For each (bank id, radius, codes) request, each code's hits in that bank."""
        if not requests:
            return []
        return merge(self.backend.search(requests))

    def lookup(self, requests: Sequence[tuple[str, int, Sequence[str]]]) -> list[list[Hits]]:
        """``search`` with hex values instead of codes (the matcher's view)."""
        return self.search([(bank, radius, hex_codes(values)) for bank, radius, values in requests])

    def sync(self, *, force: bool = False) -> int:
        """Have every replica catch up with the change log (at most every
        ``sync_seconds`` unless ``force``): the sequence every replica has reached."""
        with self._sync_lock:
            now = time.monotonic()
            recent = self._synced_at is not None and now - self._synced_at < self.sync_seconds
            if force or not recent:
                states = self.backend.sync()
                self._seq = min((state.seq for state in states), default=0)
                self._banks = {bank for state in states for bank in state.sizes}
                self._synced_at = now
            return self._seq

    def save_snapshots(self) -> list[int | None]:
        """Write each shard's snapshot, where it changed (``ShardBackend.save_snapshots``)."""
        return self.backend.save_snapshots()

    def banks(self) -> list[str]:
        """The banks with entries, as of the last sync or add."""
        return sorted(self._banks)

    def __len__(self) -> int:
        return sum(sum(state.sizes.values()) for state in self.backend.states())

    def close(self) -> None:
        self.backend.close()
