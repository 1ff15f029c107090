"""Finds the enabled entries that match a piece of content.

Exact signals (MD5, SHA-256) are looked up in the database's index on (signal_type,
value): always current, and no memory per entry in the worker. PDQ hashes are searched in
an in-memory HammingIndex of every enabled PDQ entry, kept in sync by replaying the change
log: ``sync`` reads the changes committed since the last sequence number it applied,
joined with each changed entry's current state, so replays are idempotent and no worker
ever reloads everything while serving. Matches are confirmed against the database in the
same transaction, which also supplies their banks.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from safeguard.index.hamming import HammingIndex
from safeguard.signals import PDQ
from safeguard.store.models import Entry, EntryChange

_LOAD_BATCH = 50_000


@dataclass(frozen=True)
class Candidate:
    """An enabled entry whose value is equal to, or within a radius of, a query signal."""

    entry_id: int
    bank_id: str
    signal_type: str
    distance: int
    view: str | None = None  # which view of the upload matched, for perceptual signals


class Matcher:
    """The PDQ index of one worker, and the lookups that combine it with the database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pdq = HammingIndex()
        self._last_seq: int | None = None

    def size(self) -> dict[str, int]:
        """Entries held in memory, by signal type."""
        return {PDQ.name: len(self._pdq)}

    def sync(self, session: Session) -> None:
        """Apply every change committed since the last sync (everything, the first time)."""
        with self._lock:
            if self._last_seq is None:
                self._load_all(session)
            else:
                self._replay(session)

    def candidates(
        self,
        session: Session,
        exact: Mapping[str, str],
        pdq: Sequence[tuple[str, str]],
        pdq_radius: int,
    ) -> list[Candidate]:
        """Enabled entries equal to an exact value (type -> value), or within ``pdq_radius``
        of a PDQ query given as (view name, hex): one candidate per view that reaches one."""
        found = self._exact_candidates(session, exact)
        if not pdq:
            return found
        codes = np.frombuffer(b"".join(bytes.fromhex(h) for _, h in pdq), dtype=np.uint8)
        with self._lock:
            results = self._pdq.search(codes.reshape(-1, 32), pdq_radius)
        hits: dict[int, list[tuple[int, str]]] = {}
        for (view, _), view_hits in zip(pdq, results, strict=True):
            for entry_id, distance in view_hits:
                hits.setdefault(entry_id, []).append((distance, view))
        if hits:
            query = select(Entry.id, Entry.bank_id).where(Entry.id.in_(list(hits)), Entry.enabled)
            for entry_id, bank_id in session.execute(query):
                found.extend(
                    Candidate(entry_id, bank_id, PDQ.name, distance, view)
                    for distance, view in hits[entry_id]
                )
        return found

    @staticmethod
    def _exact_candidates(session: Session, exact: Mapping[str, str]) -> list[Candidate]:
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

    def _load_all(self, session: Session) -> None:
        last = session.scalar(select(func.coalesce(func.max(EntryChange.seq), 0)))
        query = select(Entry.id, Entry.value).where(Entry.signal_type == PDQ.name, Entry.enabled)
        ids: list[int] = []
        codes: list[bytes] = []
        for entry_id, value in session.execute(query.execution_options(yield_per=_LOAD_BATCH)):
            ids.append(entry_id)
            codes.append(bytes.fromhex(value))
        self._pdq = HammingIndex(_codes(codes), np.array(ids, dtype=np.int64))
        self._last_seq = int(last or 0)

    def _replay(self, session: Session) -> None:
        query = (
            select(
                EntryChange.seq, EntryChange.entry_id, Entry.signal_type, Entry.value, Entry.enabled
            )
            .outerjoin(Entry, Entry.id == EntryChange.entry_id)
            .where(EntryChange.seq > self._last_seq)
            .order_by(EntryChange.seq)
        )
        rows = session.execute(query).all()
        if not rows:
            return
        latest: dict[int, str | None] = {}
        for _seq, entry_id, kind, value, enabled in rows:
            latest[entry_id] = value if kind == PDQ.name and enabled else None
        self._pdq.remove(np.array(list(latest), dtype=np.int64))
        live = {entry_id: value for entry_id, value in latest.items() if value is not None}
        if live:
            codes = _codes([bytes.fromhex(value) for value in live.values()])
            self._pdq.add(np.array(list(live), dtype=np.int64), codes)
        self._last_seq = int(rows[-1][0])


def _codes(codes: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(codes), dtype=np.uint8).reshape(-1, 32)
