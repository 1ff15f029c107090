"""One replica of one shard: the entries of the shard, one HammingIndex per bank, kept in
step with the database by replaying only the shard's rows of the change log. A replica
given a snapshot folder starts from the shard's newest usable snapshot there and replays
only the changes logged since; ``save_snapshot`` writes one. The same class serves in
this process and inside a Ray actor."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from safeguard.errors import NotReady
from safeguard.index.base import SavedState
from safeguard.index.hamming import HammingIndex
from safeguard.scale.shard_log import ShardSpec, shard_changes, shard_entries
from safeguard.screening.snapshots import FrozenIndexes, SnapshotStore, change_marker, usable
from safeguard.store.changes import last_change
from safeguard.store.db import Database

log = logging.getLogger(__name__)

Hits = list[tuple[int, int]]
"""(entry id, distance) within the radius, nearest first, then by id."""

Request = tuple[str, int, np.ndarray]
"""(bank id, radius, (n, 32) uint8 query codes)."""


@dataclass(frozen=True)
class ReplicaState:
    """The change-log sequence a replica reflects (0 without a database), and how many
    entries it holds in each bank."""

    seq: int
    sizes: dict[str, int]
    snapshot: int | None = None
    """The sequence of the snapshot it started from (None: it read the database)."""


def hex_codes(values: Sequence[str]) -> np.ndarray:
    """(n, 32) uint8 codes of 64-hex-digit values."""
    return np.frombuffer(bytes.fromhex("".join(values)), dtype=np.uint8).reshape(-1, 32)


def shard_snapshots(folder: Path | None, spec: ShardSpec) -> SnapshotStore | None:
    """The snapshot store of ``spec``'s shard under ``folder`` (None: no snapshots): one
    folder per shard, kind and shard count, shared by the shard's replicas."""
    if folder is None:
        return None
    return SnapshotStore(folder / f"{spec.kind}-shard-{spec.shard}-of-{spec.shards}")


class ShardReplica:
    """The indexes of one shard, by bank; thread-safe."""

    def __init__(
        self,
        spec: ShardSpec,
        database: Database | None = None,
        snapshots: SnapshotStore | None = None,
    ) -> None:
        """``database``: where ``sync`` reads the shard's entries and changes (None: the
        replica only holds what ``add`` gives it); ``snapshots``: the shard's snapshot
        folder, shared by its replicas (None: always read the entries)."""
        self.spec = spec
        self._database = database
        self._snapshots = snapshots
        self._indexes: dict[str, HammingIndex] = {}
        self._seq: int | None = None
        self._saved: int | None = None
        self._opened: int | None = None
        self._lock = threading.Lock()

    def add(self, bank_id: str, ids: np.ndarray, codes: np.ndarray) -> None:
        """Add ids under codes in a bank; an id already present is replaced."""
        with self._lock:
            self._indexes.setdefault(bank_id, HammingIndex()).add(ids, codes)

    def remove(self, ids: np.ndarray) -> None:
        """Remove ids from every bank; ids not present are ignored."""
        with self._lock:
            self._remove(ids)

    def search(self, requests: Sequence[Request]) -> list[list[Hits]]:
        """For each request, for each query code, the hits in the request's bank;
        NotReady before the first ``sync`` of a replica that reads a database."""
        with self._lock:
            if self._database is not None and self._seq is None:
                raise NotReady(f"index shard {self.spec.shard} has not read its entries yet")
            answers = []
            for bank_id, radius, codes in requests:
                index = self._indexes.get(bank_id)
                answers.append(index.search(codes, radius) if index else [[] for _ in codes])
            return answers

    def state(self) -> ReplicaState:
        """The sequence reached and the entries held."""
        with self._lock:
            sizes = {bank_id: len(index) for bank_id, index in self._indexes.items()}
            return ReplicaState(self._seq or 0, sizes, self._opened)

    def sync(self) -> ReplicaState:
        """Read the shard's entries the first time, then replay the shard's changes."""
        if self._database is None:
            return self.state()
        with self._database.read_session() as session:
            if self._seq is None and not self._start_from_snapshot(session):
                seq = last_change(session)  # read first: later changes are replayed
                loaded = self._load(shard_entries(session, self.spec))
                with self._lock:
                    self._indexes, self._seq = loaded, seq
                return self.state()
            changes = shard_changes(session, self.spec, after=self._seq or 0)
        with self._lock:
            self._apply(changes.latest)
            self._seq = changes.seq
        return self.state()

    def save_snapshot(self) -> int | None:
        """Write the shard's indexes to its snapshot folder when they changed since the
        last one written: the change-log sequence written, or None (nothing new, no
        folder or database, or another replica writing now)."""
        if self._snapshots is None or self._database is None:
            return None
        with self._lock:
            seq = self._seq
            if seq is None or seq == self._saved:
                return None
            states: dict[tuple[str, str], SavedState] = {
                (self.spec.kind, bank_id): index.freeze()
                for bank_id, index in self._indexes.items()
            }
        with self._database.read_session() as session:
            marker = change_marker(session, seq)
        if self._snapshots.write(FrozenIndexes(seq, (self.spec.kind,), states), marker) is None:
            return None
        self._saved = seq
        return seq

    def _start_from_snapshot(self, session: Session) -> bool:
        """Open the shard's newest snapshot of this database, if there is one."""
        manifest = self._snapshots.latest() if self._snapshots is not None else None
        if manifest is None or self.spec.kind not in manifest.kinds:
            return False
        if not usable(session, manifest):
            log.warning("the snapshot of shard %d is not of this database", self.spec.shard)
            return False
        loaded = {
            bank_id: HammingIndex.load(manifest.folder / name)
            for (kind, bank_id), name in manifest.indexes.items()
            if kind == self.spec.kind
        }
        with self._lock:
            self._indexes, self._seq = loaded, manifest.seq
            self._saved = self._opened = manifest.seq
        log.info(
            "index shard %d started from its snapshot at change %d", self.spec.shard, manifest.seq
        )
        return True

    @staticmethod
    def _load(rows: Iterable[tuple[str, int, str]]) -> dict[str, HammingIndex]:
        held: dict[str, tuple[list[int], list[str]]] = {}
        for bank_id, entry_id, value in rows:
            ids, values = held.setdefault(bank_id, ([], []))
            ids.append(entry_id)
            values.append(value)
        return {
            bank_id: HammingIndex(hex_codes(values), np.asarray(ids, dtype=np.int64))
            for bank_id, (ids, values) in held.items()
        }

    def _apply(self, latest: dict[int, tuple[str, str] | None]) -> None:
        if not latest:
            return
        self._remove(np.fromiter(latest, dtype=np.int64, count=len(latest)))
        added: dict[str, dict[int, str]] = {}
        for entry_id, held in latest.items():
            if held is not None:
                added.setdefault(held[0], {})[entry_id] = held[1]
        for bank_id, values in added.items():
            ids = np.fromiter(values, dtype=np.int64, count=len(values))
            codes = hex_codes(list(values.values()))
            self._indexes.setdefault(bank_id, HammingIndex()).add(ids, codes)

    def _remove(self, ids: np.ndarray) -> None:
        for index in self._indexes.values():
            index.remove(ids)
        self._indexes = {bank_id: index for bank_id, index in self._indexes.items() if len(index)}
