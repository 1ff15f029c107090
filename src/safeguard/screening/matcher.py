"""In-memory indexes of every enabled entry, kept in sync with the database.

Each process holds one Matcher. ``sync`` replays the change log since the last
sequence number it applied, reading each changed entry's current state, so replays are
idempotent and no worker ever reloads everything while serving.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from safeguard.index.exact import ExactIndex
from safeguard.index.hamming import HammingIndex
from safeguard.signals import PDQ, SIGNAL_TYPES, MatchKind
from safeguard.store.models import Entry, EntryChange

_LOAD_BATCH = 20_000


@dataclass(frozen=True)
class IndexedEntry:
    entry_id: int
    bank_id: str
    signal_type: str
    value: str


@dataclass(frozen=True)
class Candidate:
    """An enabled entry whose value is equal to, or within a radius of, a query signal."""

    entry_id: int
    bank_id: str
    signal_type: str
    distance: int
    view: str | None = None  # which view of the upload matched, for perceptual signals


class Matcher:
    """Exact indexes for exact signal types and a Hamming index for PDQ."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, IndexedEntry] = {}
        self._exact = {
            name: ExactIndex() for name, t in SIGNAL_TYPES.items() if t.kind is MatchKind.EXACT
        }
        self._pdq = HammingIndex()
        self._last_seq: int | None = None

    @property
    def last_seq(self) -> int | None:
        return self._last_seq

    def size(self) -> dict[str, int]:
        """Indexed (enabled) entries per signal type."""
        sizes = {name: len(index) for name, index in self._exact.items()}
        sizes[PDQ.name] = len(self._pdq)
        return sizes

    def sync(self, session: Session) -> None:
        """Apply every change committed since the last sync (everything, the first time)."""
        with self._lock:
            if self._last_seq is None:
                self._load_all(session)
            else:
                self._replay(session)

    def candidates(
        self, exact: Mapping[str, str], pdq: Sequence[tuple[str, str]], pdq_radius: int
    ) -> list[Candidate]:
        """Entries equal to an exact value (type -> value), or within ``pdq_radius`` of a
        PDQ query given as (view name, hex)."""
        found: list[Candidate] = []
        with self._lock:
            for name, value in exact.items():
                if name in self._exact:
                    found.extend(
                        self._candidate(i, 0, None) for i in self._exact[name].search(value)
                    )
            if pdq:
                codes = np.frombuffer(b"".join(bytes.fromhex(h) for _, h in pdq), dtype=np.uint8)
                results = self._pdq.search(codes.reshape(-1, 32), pdq_radius)
                for (view, _), hits in zip(pdq, results, strict=True):
                    found.extend(self._candidate(i, d, view) for i, d in hits)
        return found

    def _candidate(self, entry_id: int, distance: int, view: str | None) -> Candidate:
        entry = self._entries[entry_id]
        return Candidate(entry_id, entry.bank_id, entry.signal_type, distance, view)

    def _load_all(self, session: Session) -> None:
        last = session.scalar(select(func.coalesce(func.max(EntryChange.seq), 0)))
        query = select(Entry.id, Entry.bank_id, Entry.signal_type, Entry.value).where(Entry.enabled)
        rows = session.execute(query.execution_options(yield_per=_LOAD_BATCH))
        self._put_many(IndexedEntry(*row) for row in rows)
        self._last_seq = int(last or 0)

    def _replay(self, session: Session) -> None:
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
        rows = session.execute(query).all()
        if not rows:
            return
        latest: dict[int, IndexedEntry | None] = {}
        for _seq, entry_id, bank_id, kind, value, enabled in rows:
            live = bank_id is not None and kind is not None and value is not None and enabled
            latest[entry_id] = IndexedEntry(entry_id, bank_id, kind, value) if live else None
        for entry_id in latest:
            self._drop(entry_id)
        self._put_many(e for e in latest.values() if e is not None)
        self._last_seq = int(rows[-1][0])

    def _put_many(self, entries: Iterable[IndexedEntry]) -> None:
        pdq_ids: list[int] = []
        pdq_codes: list[bytes] = []
        for entry in entries:
            self._entries[entry.entry_id] = entry
            if entry.signal_type == PDQ.name:
                pdq_ids.append(entry.entry_id)
                pdq_codes.append(bytes.fromhex(entry.value))
            elif entry.signal_type in self._exact:
                self._exact[entry.signal_type].add(entry.entry_id, entry.value)
        if pdq_ids:
            codes = np.frombuffer(b"".join(pdq_codes), dtype=np.uint8).reshape(-1, 32)
            self._pdq.add(np.array(pdq_ids, dtype=np.int64), codes)

    def _drop(self, entry_id: int) -> None:
        entry = self._entries.pop(entry_id, None)
        if entry is None:
            return
        if entry.signal_type == PDQ.name:
            self._pdq.remove(np.array([entry_id], dtype=np.int64))
        elif entry.signal_type in self._exact:
            self._exact[entry.signal_type].remove(entry_id, entry.value)
