"""Snapshots of a worker's in-memory indexes, so that a starting worker maps them and
replays only the changes logged since, instead of reading every entry from the database.

A snapshot is a folder ``seq-<N>`` under the snapshot directory: ``manifest.json`` (the
change-log sequence it reflects; a marker of the change-log row at that sequence, so that
a snapshot taken of another database is never used; the signal types it holds whole; its
indexes by signal type and bank) and one folder per index. The file ``CURRENT`` names the
newest complete snapshot and is replaced atomically once that snapshot is written: a
crash while writing leaves the previous one in use. Processes sharing the folder take
turns (a file lock); one that finds another writing skips its turn. Signal types whose
indexes cannot be snapshotted (vPDQ's frame index) are read from the database at start.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguard.index.base import SavedState, SnapshotIndex, ValueIndex
from safeguard.store.changes import last_change
from safeguard.store.db import Database
from safeguard.store.models import EntryChange
from safeguard.workers import PeriodicWorker

if TYPE_CHECKING:
    from safeguard.screening.matcher import Matcher

FORMAT = "safeguard-snapshot-1"
CURRENT = "CURRENT"
KEEP = 2  # snapshots kept: the current one and the one before
log = logging.getLogger(__name__)

IndexKey = tuple[str, str]
"""(signal type, bank id)."""


@dataclass(frozen=True)
class FrozenIndexes:
    """A matcher's indexes as of one change-log sequence, ready to write out."""

    seq: int
    kinds: tuple[str, ...]
    """The signal types held whole: every index of them is in ``states``."""
    states: Mapping[IndexKey, SavedState]


@dataclass(frozen=True)
class Manifest:
    """What a written snapshot holds, and where."""

    folder: Path
    seq: int
    marker: str | None
    kinds: tuple[str, ...]
    indexes: Mapping[IndexKey, str]  # folder name of each index


def change_marker(session: Session, seq: int) -> str | None:
    """When the change-log row ``seq`` was written (None for 0 or a missing row): two
    databases can share a sequence number, not the moment of its change."""
    changed = session.scalar(select(EntryChange.changed_at).where(EntryChange.seq == seq))
    return changed.isoformat() if changed is not None else None


class SnapshotStore:
    """The snapshots in one folder (``SAFEGUARD_SNAPSHOT_DIR``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, frozen: FrozenIndexes, marker: str | None) -> Manifest | None:
        """Write a snapshot, make it current, and drop all but the newest ``KEEP``; None
        when another process is writing one into this folder now."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".lock").open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            return self._write(frozen, marker)

    def _write(self, frozen: FrozenIndexes, marker: str | None) -> Manifest:
        staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=self.folder))
        names: dict[IndexKey, str] = {}
        try:
            for number, (key, state) in enumerate(sorted(frozen.states.items())):
                names[key] = f"index-{number}"
                state.save(staging / names[key])
            manifest = {
                "format": FORMAT,
                "seq": frozen.seq,
                "marker": marker,
                "kinds": list(frozen.kinds),
                "indexes": [[kind, bank, name] for (kind, bank), name in names.items()],
            }
            (staging / "manifest.json").write_text(json.dumps(manifest))
            target = self.folder / f"seq-{frozen.seq}"
            if target.exists():  # the same changes, written before
                shutil.rmtree(target)
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        pointer = self.folder / f".{CURRENT}.tmp"
        pointer.write_text(target.name)
        os.replace(pointer, self.folder / CURRENT)
        self._prune()
        return Manifest(target, frozen.seq, marker, frozen.kinds, names)

    def latest(self) -> Manifest | None:
        """The current snapshot's manifest; None when there is none or it is unreadable."""
        try:
            folder = self.folder / (self.folder / CURRENT).read_text().strip()
            raw = json.loads((folder / "manifest.json").read_text())
            if raw.get("format") != FORMAT:
                raise ValueError(f"unknown format {raw.get('format')!r}")
            indexes = {(kind, bank): name for kind, bank, name in raw["indexes"]}
            return Manifest(folder, int(raw["seq"]), raw["marker"], tuple(raw["kinds"]), indexes)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring the index snapshot in %s (%s)", self.folder, type(exc).__name__)
            return None

    @staticmethod
    def open(
        manifest: Manifest, new_index: Callable[[str], ValueIndex | None]
    ) -> dict[IndexKey, ValueIndex]:
        """The snapshot's indexes, memory-mapped where the index type allows."""
        opened: dict[IndexKey, ValueIndex] = {}
        for (kind, bank), name in manifest.indexes.items():
            index = new_index(kind)
            if not isinstance(index, SnapshotIndex):
                raise ValueError(f"the {kind} index cannot be opened from a snapshot")
            index.restore(manifest.folder / name)
            opened[(kind, bank)] = index
        return opened

    def _prune(self) -> None:
        written = sorted(
            (p for p in self.folder.glob("seq-*") if p.name[4:].isdigit()),
            key=lambda p: int(p.name[4:]),
        )
        for old in written[:-KEEP]:
            shutil.rmtree(old, ignore_errors=True)


def usable(session: Session, manifest: Manifest) -> bool:
    """Whether ``manifest`` is a snapshot of this database: its sequence was logged here,
    at the moment its marker records."""
    if manifest.seq > last_change(session):
        return False
    return change_marker(session, manifest.seq) == manifest.marker


class SnapshotWriter(PeriodicWorker):
    """Writes the matcher's indexes to the store every ``interval``, when they changed,
    and has the index shards write theirs."""

    def __init__(
        self, matcher: Matcher, db: Database, store: SnapshotStore, interval: timedelta
    ) -> None:
        super().__init__("index-snapshots", "writing an index snapshot", interval, log)
        self.matcher = matcher
        self.db = db
        self.store = store
        self._written: int | None = None

    def run_pass(self, stop: threading.Event) -> bool:
        self.matcher.sync(self.db)
        self.matcher.save_external_snapshots()  # the index shards, into folders of their own
        frozen = self.matcher.freeze()
        if frozen is None or frozen.seq == self._written:
            return False
        current = self.store.latest()
        if current is not None and current.seq == frozen.seq:  # restored from it
            self._written = frozen.seq
            return False
        with self.db.read_session() as session:
            marker = change_marker(session, frozen.seq)
        if self.store.write(frozen, marker) is not None:
            self._written = frozen.seq
            log.info("wrote an index snapshot at change %d", frozen.seq)
        return False
