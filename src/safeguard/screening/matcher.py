"""Finds the enabled entries that match a piece of content.

Exact signals (MD5, SHA-256) are looked up in the database's index on (signal_type,
value): always current, and no memory per entry in the worker. PDQ hashes are searched in
memory, in one index per bank (``index.base.CodeIndex``; by default the multi-index
HammingIndex), each within that bank's own thresholds, so a bank
with a wide threshold never widens the search of another. The indexes are kept in sync
by replaying the change log: ``sync`` reads the changes committed since the last sequence
number it applied, joined with each changed entry's current state, so replays are
idempotent and no worker ever reloads everything while serving.

Locks and the database never nest: ``sync`` reads in its own short read-only session and
then applies what it read under the index lock; a search holds the index lock and no
database connection. A request's own transaction is opened only after both, so no thread
can hold a database lock (or a pooled connection) while it waits for the index, nor the
index while it waits for the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from safeguard.index.base import CodeIndex, IndexFactory
from safeguard.index.hamming import HammingIndex
from safeguard.signals import PDQ
from safeguard.store.db import Database
from safeguard.store.models import Entry, EntryChange

_LOAD_BATCH = 50_000

RadiusOf = Callable[[str, str], int]
"""The search radius of (bank id, view name); a negative radius skips that bank."""


@dataclass(frozen=True)
class Candidate:
    """An enabled entry whose value is equal to, or within a radius of, a query signal."""

    entry_id: int
    bank_id: str
    signal_type: str
    distance: int
    view: str | None = None  # which view of the upload matched, for perceptual signals


class Matcher:
    """The PDQ indexes of one worker, and the lookups that combine them with the database."""

    def __init__(self, index_factory: IndexFactory = HammingIndex) -> None:
        self._new_index = index_factory
        self._lock = threading.Lock()  # guards the indexes; never held with a connection
        self._sync_lock = threading.Lock()  # one catch-up at a time
        self._banks: dict[str, CodeIndex] = {}
        self._last_seq: int | None = None

    def size(self) -> dict[str, int]:
        """Entries held in memory, by signal type."""
        with self._lock:
            return {PDQ.name: sum(len(index) for index in self._banks.values())}

    def sync(self, db: Database) -> None:
        """Apply every change committed since the last sync (everything, the first time).

        Call it outside any transaction: it opens its own read-only session.
        """
        with self._sync_lock:
            if self._last_seq is None:
                self._load_all(db)
            else:
                self._replay(db)

    def pdq_candidates(
        self, queries: Sequence[tuple[str, str]], radius_of: RadiusOf
    ) -> list[Candidate]:
        """Entries within ``radius_of(bank, view)`` of a PDQ query given as (view, hex):
        one candidate per view that reaches one. In memory only: confirm them with
        ``confirmed`` in the request's transaction."""
        if not queries:
            return []
        codes = np.frombuffer(b"".join(bytes.fromhex(h) for _, h in queries), dtype=np.uint8)
        codes = codes.reshape(-1, 32)
        found: list[Candidate] = []
        with self._lock:
            for bank_id, index in self._banks.items():
                for radius, rows in _group_by_radius(queries, bank_id, radius_of).items():
                    results = index.search(codes[rows], radius)
                    found.extend(
                        Candidate(entry_id, bank_id, PDQ.name, distance, queries[row][0])
                        for row, hits in zip(rows, results, strict=True)
                        for entry_id, distance in hits
                    )
        return found

    @staticmethod
    def confirmed(session: Session, candidates: Iterable[Candidate]) -> list[Candidate]:
        """The candidates whose entries are still enabled in the database."""
        wanted = list(candidates)
        if not wanted:
            return []
        ids = {c.entry_id for c in wanted}
        query = select(Entry.id).where(Entry.id.in_(list(ids)), Entry.enabled)
        enabled = set(session.scalars(query))
        return [c for c in wanted if c.entry_id in enabled]

    @staticmethod
    def exact_candidates(session: Session, exact: Mapping[str, str]) -> list[Candidate]:
        """Enabled entries equal to an exact value (signal type -> value)."""
        if not exact:
            return []
        wanted = or_(
            *(
                and_(Entry.signal_type == kind, Entry.value == value)
                for kind, value in exact.items()
            )
        )
        query = select(Entry.id, Entry.bank_id, Entry.signal_type).where(wanted, Entry.enabled)
        return [Candidate(i, bank, kind, 0) for i, bank, kind in session.execute(query)]

    def _load_all(self, db: Database) -> None:
        ids: dict[str, list[int]] = {}
        codes: dict[str, list[bytes]] = {}
        with db.read_session() as session:
            last = session.scalar(select(func.coalesce(func.max(EntryChange.seq), 0)))
            query = select(Entry.bank_id, Entry.id, Entry.value).where(
                Entry.signal_type == PDQ.name, Entry.enabled
            )
            for bank_id, entry_id, value in session.execute(
                query.execution_options(yield_per=_LOAD_BATCH)
            ):
                ids.setdefault(bank_id, []).append(entry_id)
                codes.setdefault(bank_id, []).append(bytes.fromhex(value))
        banks: dict[str, CodeIndex] = {}
        for bank_id, bank_ids in ids.items():
            banks[bank_id] = self._new_index()
            banks[bank_id].add(np.array(bank_ids, dtype=np.int64), _codes(codes[bank_id]))
        with self._lock:
            self._banks = banks
            self._last_seq = int(last or 0)

    def _replay(self, db: Database) -> None:
        query = (
            select(
                EntryChange.seq,
                EntryChange.entry_id,
                Entry.bank_id,
                Entry.signal_type,
                Entry.value,
                Entry.enabled,
            )
            .outerjoin(Entry, Entry.id == EntryChange.entry_id)
            .where(EntryChange.seq > self._last_seq)
            .order_by(EntryChange.seq)
        )
        with db.read_session() as session:
            rows = session.execute(query).all()
        if not rows:
            return
        latest: dict[int, tuple[str, str] | None] = {}
        for _seq, entry_id, bank_id, kind, value, enabled in rows:
            latest[entry_id] = (bank_id, value) if kind == PDQ.name and enabled else None
        live: dict[str, dict[int, str]] = {}
        for entry_id, held in latest.items():
            if held is not None:
                live.setdefault(held[0], {})[entry_id] = held[1]
        changed = np.array(list(latest), dtype=np.int64)
        with self._lock:
            # An entry never moves between banks: removing it everywhere covers deletes.
            for index in self._banks.values():
                index.remove(changed)
            for bank_id, values in live.items():
                codes = _codes([bytes.fromhex(value) for value in values.values()])
                ids = np.array(list(values), dtype=np.int64)
                if bank_id not in self._banks:
                    self._banks[bank_id] = self._new_index()
                self._banks[bank_id].add(ids, codes)
            self._banks = {b: index for b, index in self._banks.items() if len(index)}
            self._last_seq = int(rows[-1][0])


def _group_by_radius(
    queries: Sequence[tuple[str, str]], bank_id: str, radius_of: RadiusOf
) -> dict[int, list[int]]:
    """Query rows by their radius in one bank (rows with a negative radius left out)."""
    groups: dict[int, list[int]] = {}
    for row, (view, _) in enumerate(queries):
        radius = radius_of(bank_id, view)
        if radius >= 0:
            groups.setdefault(radius, []).append(row)
    return groups


def _codes(codes: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(codes), dtype=np.uint8).reshape(-1, 32)
