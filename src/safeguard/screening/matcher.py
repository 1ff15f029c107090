"""Finds the enabled entries that match a piece of content.

Exact signal types (MD5, SHA-256: ``max_threshold`` 0) are looked up in the database's
index on (signal_type, value digest): always current, and no memory per entry in the
worker. Signal types matched by distance (PDQ) are searched in memory, in one index per
signal type and bank (``SignalType.new_index``; for PDQ the multi-index HammingIndex),
each within that bank's own thresholds, so a bank with a wide threshold never widens the
search of another. The indexes are kept in sync by replaying the change log: ``sync``
reads the changes committed since the last sequence number it applied, joined with each
changed entry's current state, so replays are idempotent and no worker ever reloads
everything while serving.

An entry takes part while it and its content item are both enabled.

A signal type may instead be held by an ``ExternalIndex`` (``scale.ShardedIndex``: the PDQ
index split into shards, docs/scaling.md), whose parts read and replay the database
themselves; the matcher then only asks it to catch up and searches it.

Locks and the database never nest: ``sync`` reads in its own short read-only session and
then applies what it read under the index lock; a search holds the index lock and no
database connection. A request's own transaction is opened only after both, so no thread
can hold a database lock (or a pooled connection) while it waits for the index, nor the
index while it waits for the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy import and_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from safeguard.banks.values import value_digest
from safeguard.errors import NotReady
from safeguard.index.base import SavedState, SequenceHit, SequenceIndex, SnapshotIndex, ValueIndex
from safeguard.screening.snapshots import FrozenIndexes, Manifest, SnapshotStore, usable
from safeguard.signals.base import SignalType
from safeguard.signals.registry import indexed, signal_types
from safeguard.store.changes import changes_since, last_change
from safeguard.store.db import Database
from safeguard.store.models import ContentItem, Entry

_LOAD_BATCH = 50_000
_EXACT_CHUNK = 500  # digests per exact lookup query
log = logging.getLogger(__name__)

RadiusOf = Callable[[str, str, str], int]
"""The search radius of (signal type, bank id, view name); a negative one skips the bank."""

IndexFactory = Callable[[SignalType], ValueIndex | None]
"""Makes an empty index for a signal type; by default ``SignalType.new_index``."""


@dataclass(frozen=True)
class Candidate:
    """An enabled entry whose value is equal to, or within a radius of, a query value."""

    entry_id: int
    content_item_id: int
    bank_id: str
    signal_type: str
    distance: int
    view: str | None = None  # which view of the upload matched, for perceptual signals
    sequence: SequenceHit | None = None  # how much of a video matched, for vPDQ


Hits = list[tuple[int, int]]
"""(entry id, distance), nearest first."""


class ExternalIndex(Protocol):
    """The entries of one signal type in every bank, held outside the matcher."""

    def sync(self, *, force: bool = False) -> int:
        """Catch up with the change log (or not, if it did lately, unless ``force``): the
        last sequence applied."""

    def banks(self) -> list[str]:
        """The banks with entries."""

    def lookup(self, requests: Sequence[tuple[str, int, Sequence[str]]]) -> list[list[Hits]]:
        """For each (bank id, radius, values) request, each value's hits in that bank."""

    def __len__(self) -> int:
        """How many entries it holds."""

    def save_snapshots(self) -> list[int | None]:
        """Write its own snapshots where they changed: the sequences written, or None."""


def _new_index(kind: SignalType) -> ValueIndex | None:
    return kind.new_index()


_ENABLED = and_(Entry.enabled, ContentItem.enabled)


class Matcher:
    """The in-memory indexes of one worker, and the lookups that combine them with the
    database."""

    def __init__(
        self,
        index_factory: IndexFactory = _new_index,
        snapshots: SnapshotStore | None = None,
        external: Mapping[str, ExternalIndex] | None = None,
    ) -> None:
        """``snapshots``: where to start from, if a usable snapshot is there;
        ``external``: the signal types held outside the matcher, and their indexes."""
        self._new_index = index_factory
        self._external = dict(external or {})
        self._snapshots = snapshots
        self._lock = threading.Lock()  # guards the indexes; never held with a connection
        self._sync_lock = threading.Lock()  # one catch-up at a time
        self._indexes: dict[tuple[str, str], ValueIndex] = {}  # by (signal type, bank id)
        self._last_seq: int | None = None

    def size(self) -> dict[str, int]:
        """Entries held in memory, by signal type."""
        with self._lock:
            sizes = {kind.name: 0 for kind in indexed()}
            for (kind, _), index in self._indexes.items():
                sizes[kind] = sizes.get(kind, 0) + len(index)
        for kind, external in self._external.items():
            sizes[kind] = len(external)
        return sizes

    def sync(self, db: Database) -> None:
        """Apply every change committed since the last sync (everything, the first time).

        Call it outside any transaction: it opens its own read-only session.
        """
        with self._sync_lock:
            if self._last_seq is None:
                self._load_all(db)
            else:
                self._replay(db)
        for external in self._external.values():
            external.sync()

    def catch_up(self, db: Database) -> int:
        """Apply every change logged before this call, and give the last sequence
        applied; NotReady if that cannot be done now."""
        try:
            with db.read_session() as session:
                logged = last_change(session)
            self.sync(db)
            external = [index.sync(force=True) for index in self._external.values()]
        except SQLAlchemyError as exc:
            raise NotReady(f"the index cannot catch up ({type(exc).__name__})") from None
        applied = min([self._last_seq or 0, *external])
        if applied < logged:
            raise NotReady(f"the index is {logged - applied} changes behind the change log")
        return applied

    def near_candidates(
        self, kind: str, queries: Sequence[tuple[str, str]], radius_of: RadiusOf
    ) -> list[Candidate]:
        """Entries of signal type ``kind`` within ``radius_of(kind, bank, view)`` of a
        query given as (view, value): one candidate per view that reaches one. In memory
        only: confirm them with ``confirmed`` in the request's transaction."""
        if not queries:
            return []
        if kind in self._external:
            return _external_candidates(self._external[kind], queries, kind, radius_of)
        found: list[Candidate] = []
        with self._lock:
            for (index_kind, bank_id), index in self._indexes.items():
                if index_kind != kind:
                    continue
                if isinstance(index, SequenceIndex):
                    found += _sequence_candidates(index, queries, kind, bank_id, radius_of)
                    continue
                for radius, rows in _group_by_radius(queries, kind, bank_id, radius_of).items():
                    results = index.search([queries[row][1] for row in rows], radius)
                    found.extend(
                        Candidate(entry_id, 0, bank_id, kind, distance, queries[row][0])
                        for row, hits in zip(rows, results, strict=True)
                        for entry_id, distance in hits
                    )
        return found

    @staticmethod
    def confirmed(session: Session, candidates: Iterable[Candidate]) -> list[Candidate]:
        """The candidates whose entries (and their items) are still enabled in the
        database, with their content items."""
        wanted = list(candidates)
        if not wanted:
            return []
        ids = {c.entry_id for c in wanted}
        query = (
            select(Entry.id, Entry.content_item_id)
            .join(ContentItem, ContentItem.id == Entry.content_item_id)
            .where(Entry.id.in_(list(ids)), _ENABLED)
        )
        items: dict[int, int] = {i: item for i, item in session.execute(query)}
        return [
            replace(c, content_item_id=items[c.entry_id]) for c in wanted if c.entry_id in items
        ]

    @staticmethod
    def exact_candidates(session: Session, exact: Mapping[str, Sequence[str]]) -> list[Candidate]:
        """Enabled entries equal to an exact value (signal type -> values), asked for
        ``_EXACT_CHUNK`` digests at a time, so that thousands of values fit a query."""
        found: list[Candidate] = []
        for kind, values in exact.items():
            digests = sorted({value_digest(v) for v in values})
            for start in range(0, len(digests), _EXACT_CHUNK):
                query = (
                    select(Entry.id, Entry.content_item_id, Entry.bank_id, Entry.signal_type)
                    .join(ContentItem, ContentItem.id == Entry.content_item_id)
                    .where(
                        Entry.signal_type == kind,
                        Entry.value_digest.in_(digests[start : start + _EXACT_CHUNK]),
                        _ENABLED,
                    )
                )
                found += [Candidate(*row, 0) for row in session.execute(query)]
        return found

    def freeze(self) -> FrozenIndexes | None:
        """The indexes' state at the last change applied, for a snapshot (None before the
        first sync). Only the masks and buffers are copied under the lock."""
        kinds = tuple(kind.name for kind in indexed() if self._snapshots_whole(kind.name))
        with self._lock:
            if self._last_seq is None:
                return None
            states: dict[tuple[str, str], SavedState] = {}
            for key, index in self._indexes.items():
                if key[0] in kinds and isinstance(index, SnapshotIndex):
                    state = index.freeze()
                    if state is not None:
                        states[key] = state
            return FrozenIndexes(self._last_seq, kinds, states)

    def save_external_snapshots(self) -> None:
        """Have the indexes held outside the matcher write their own snapshots."""
        for external in self._external.values():
            external.save_snapshots()

    def _snapshots_whole(self, kind: str) -> bool:
        """Whether every index of ``kind`` can be saved in a snapshot."""
        index = self._index_for(kind)
        return isinstance(index, SnapshotIndex) and index.freeze() is not None

    def _load_all(self, db: Database) -> None:
        manifest = self._snapshots.latest() if self._snapshots is not None else None
        if manifest is not None and self._external:  # external kinds are not reopened
            kept = {key: name for key, name in manifest.indexes.items() if key[0] in self._own()}
            manifest = replace(manifest, kinds=self._own(manifest.kinds), indexes=kept)
        if manifest is not None:
            with db.read_session() as session:
                fits = usable(session, manifest)
            if fits:
                self._start_from(db, manifest)
                return
            log.warning("the index snapshot at change %d is not of this database", manifest.seq)
        last, indexes = self._read_entries(db, list(self._own()))
        with self._lock:
            self._indexes = indexes
            self._last_seq = last

    def _start_from(self, db: Database, manifest: Manifest) -> None:
        """Open a snapshot, read the signal types it lacks, then replay later changes."""
        indexes = SnapshotStore.open(manifest, self._index_for)
        others = [kind for kind in self._own() if kind not in manifest.kinds]
        if others:
            indexes |= self._read_entries(db, others)[1]
        with self._lock:
            self._indexes = indexes
            self._last_seq = manifest.seq
        self._replay(db)
        log.info("started from the index snapshot at change %d", manifest.seq)

    def _read_entries(
        self, db: Database, kinds: list[str]
    ) -> tuple[int, dict[tuple[str, str], ValueIndex]]:
        """The last change-log sequence and indexes of every enabled entry of ``kinds``."""
        held: dict[tuple[str, str], tuple[list[int], list[str]]] = {}
        with db.read_session() as session:
            last = last_change(session)
            query = (
                select(Entry.signal_type, Entry.bank_id, Entry.id, Entry.value)
                .join(ContentItem, ContentItem.id == Entry.content_item_id)
                .where(Entry.signal_type.in_(kinds), _ENABLED)
            )
            for kind, bank_id, entry_id, value in session.execute(
                query.execution_options(yield_per=_LOAD_BATCH)
            ):
                ids, values = held.setdefault((kind, bank_id), ([], []))
                ids.append(entry_id)
                values.append(value)
        indexes: dict[tuple[str, str], ValueIndex] = {}
        for key, (ids, values) in held.items():
            index = self._index_for(key[0])
            if index is not None:
                index.add(ids, values)
                indexes[key] = index
        return last, indexes

    def _replay(self, db: Database) -> None:
        query = changes_since(self._last_seq or 0)
        with db.read_session() as session:
            rows = session.execute(query).all()
        if not rows:
            return
        kinds = {kind.name for kind in indexed()}
        latest: dict[int, tuple[str, str, str] | None] = {}
        for _seq, entry_id, bank_id, kind, value, enabled in rows:
            live = kind in kinds and bool(enabled)
            latest[entry_id] = (kind, bank_id, value) if live else None
        added: dict[tuple[str, str], dict[int, str]] = {}
        for entry_id, held in latest.items():
            if held is not None:
                added.setdefault((held[0], held[1]), {})[entry_id] = held[2]
        changed = list(latest)
        with self._lock:
            # An entry never moves between banks: removing it everywhere covers deletes.
            for index in self._indexes.values():
                index.remove(changed)
            for key, values in added.items():
                if key not in self._indexes:
                    fresh = self._index_for(key[0])
                    if fresh is None:
                        continue
                    self._indexes[key] = fresh
                self._indexes[key].add(list(values), list(values.values()))
            self._indexes = {key: index for key, index in self._indexes.items() if len(index)}
            self._last_seq = int(rows[-1][0])

    def _own(self, kinds: Iterable[str] | None = None) -> tuple[str, ...]:
        """Of ``kinds`` (every indexed signal type), those the matcher holds itself."""
        names = [kind.name for kind in indexed()] if kinds is None else kinds
        return tuple(kind for kind in names if kind not in self._external)

    def _index_for(self, kind: str) -> ValueIndex | None:
        if kind in self._external:
            return None
        signal = signal_types().get(kind)
        return self._new_index(signal) if signal is not None else None


def _sequence_candidates(
    index: SequenceIndex,
    queries: Sequence[tuple[str, str]],
    kind: str,
    bank_id: str,
    radius_of: RadiusOf,
) -> list[Candidate]:
    """One candidate per indexed sequence that any view of the query reaches (views with
    a negative radius still count among the query's frames, but search nothing)."""
    views = [(view, value, radius_of(kind, bank_id, view)) for view, value in queries]
    return [
        Candidate(hit.entry_id, 0, bank_id, kind, hit.distance, hit.view, hit)
        for hit in index.match_sequence(views)
    ]


def _external_candidates(
    index: ExternalIndex, queries: Sequence[tuple[str, str]], kind: str, radius_of: RadiusOf
) -> list[Candidate]:
    """The candidates of every bank of an external index, asked in one call."""
    asked: list[tuple[str, list[int]]] = []
    requests: list[tuple[str, int, list[str]]] = []
    for bank_id in index.banks():
        for radius, rows in _group_by_radius(queries, kind, bank_id, radius_of).items():
            asked.append((bank_id, rows))
            requests.append((bank_id, radius, [queries[row][1] for row in rows]))
    if not requests:
        return []
    return [
        Candidate(entry_id, 0, bank_id, kind, distance, queries[row][0])
        for (bank_id, rows), results in zip(asked, index.lookup(requests), strict=True)
        for row, hits in zip(rows, results, strict=True)
        for entry_id, distance in hits
    ]


def _group_by_radius(
    queries: Sequence[tuple[str, str]], kind: str, bank_id: str, radius_of: RadiusOf
) -> dict[int, list[int]]:
    """Query rows by their radius in one bank (rows with a negative radius left out)."""
    groups: dict[int, list[int]] = {}
    for row, (view, _) in enumerate(queries):
        radius = radius_of(kind, bank_id, view)
        if radius >= 0:
            groups.setdefault(radius, []).append(row)
    return groups
