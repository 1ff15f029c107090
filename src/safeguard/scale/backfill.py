"""Backfill: screen stored media already published, on Ray Data.

The driver lists the source and leaves out items already decided; Ray workers read and
hash the rest (``map_batches``: the bytes never leave the worker, only the signals do);
the driver screens each batch through the ``Screener`` as a live screening is screened
(audit record, event, review item) and records it in the checkpoint
(``backfill_store.py``), so a run stopped at any point resumes where it stopped and no
item is decided twice. Bad items (unreadable, too large, undecodable) are counted by
kind and never stop the run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import numpy as np
import ray.data

from safeguard.errors import SafeguardError
from safeguard.media.decode import DecodeLimits
from safeguard.scale import backfill_store as store
from safeguard.scale.backfill_sources import Listed, Source
from safeguard.screening.service import Requester, Screener
from safeguard.screening.signals import ContentSignals, content_signals
from safeguard.signals.base import SignalValue
from safeguard.store.db import Database

Batch = dict[str, np.ndarray]


@dataclass(frozen=True)
class Options:
    """What decides an item (the banks matched, the client its records belong to) and
    how the work is cut (items a Ray batch holds)."""

    banks: tuple[str, ...] | None = None
    client: str = "cli"
    batch_size: int = 64

    def deciding(self) -> dict[str, Any]:
        """The options a run is known by: a run with others decides differently."""
        return {
            "banks": sorted(self.banks) if self.banks is not None else None,
            "client": self.client,
        }


class Tracker(Protocol):
    """Told how many items are to be screened, then of each batch screened."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


@dataclass
class Tally:
    """What one start of a run did: items listed, skipped as already decided, scanned
    (read and hashed), decisions made (with those recovered from a crash), errors."""

    run_id: str
    source: str
    resumed: bool
    listed: int = 0
    skipped: int = 0
    scanned: int = 0
    recovered: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def as_dict(self, state: str) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "source": self.source,
            "state": state,
            "resumed": self.resumed,
            "listed": self.listed,
            "skipped": self.skipped,
            "scanned": self.scanned,
            "recovered": self.recovered,
            "blocked": self.decisions["block"],
            "review": self.decisions["review"],
            "allowed": self.decisions["allow"],
            "errors": dict(sorted(self.errors.items())),
            "seconds": round(time.monotonic() - self.started, 3),
        }


def item_key(source: Source, item: Listed, options: Options) -> str:
    """The item's stable id: its source, location and version, and the options deciding
    it (a changed file, or other banks, make another item)."""
    named = [source.name, item.location, item.version, options.deciding()]
    return hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()


def backfill(
    db: Database,
    screener: Screener,
    limits: DecodeLimits,
    source: Source,
    options: Options,
    *,
    resume: str | None = None,
    tracker: Tracker | None = None,
    connect: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> dict[str, Any]:
    """Screen every item of ``source`` not yet decided on Ray, connected by ``connect``
    once there is work (default: as connected already); the summary of this start of
    the run (``Tally.as_dict``)."""
    run = store.open_run(db, source.name, options.deciding(), resume)
    work = _Pass(db, screener, run.id, options, Tally(run.id, source.name, run.resumed))
    try:
        for adopted in store.repair(db, source.name, options.client):
            work.tally.recovered += 1
            work.tally.decisions[adopted.decision] += 1
        todo = work.todo(source)
        if tracker is not None:
            tracker.start(len(todo))
        if todo:
            with connect():
                ray.data.DataContext.get_current().enable_progress_bars = False  # the tracker's
                hashed = ray.data.from_items(todo).map_batches(
                    partial(hash_batch, source=source, limits=limits),
                    batch_size=options.batch_size,
                )
                for batch in hashed.iter_batches(batch_size=options.batch_size):
                    work.screen(batch)
                    if tracker is not None:
                        tracker.advance(len(batch["key"]))
    except BaseException:
        store.finish(db, run.id, store.FAILED, work.tally.as_dict(store.FAILED))
        raise
    summary = work.tally.as_dict(store.DONE)
    store.finish(db, run.id, store.DONE, summary)
    return summary


@contextmanager
def ray_cluster(address: str | None, num_cpus: int | None) -> Iterator[None]:
    """Connected to the Ray cluster at ``address``, else to a local one started here (and
    stopped afterwards); a connection made before is used as it is."""
    if ray.is_initialized():
        yield
        return
    quiet = logging.WARNING
    if address:
        ray.init(address=address, log_to_driver=False, logging_level=quiet)
    else:
        ray.init(
            num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, logging_level=quiet
        )
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    try:
        yield
    finally:
        ray.shutdown()


def hash_batch(batch: Batch, source: Source, limits: DecodeLimits) -> Batch:
    """In a Ray worker: read and hash each item of the batch; its signals (JSON), or the
    kind of error that stopped it. Only hashes and metadata leave the worker."""
    signals, errors = [], []
    for location in batch["location"]:
        try:
            found = content_signals(source.read(str(location), limits), limits, views=True)
        except SafeguardError as exc:
            signals.append("")
            errors.append(exc.slug)
        except Exception as exc:  # a bad item is counted, never the end of the run
            signals.append("")
            errors.append(f"failed-{type(exc).__name__}")
        else:
            signals.append(_encode(found))
            errors.append("")
    return batch | {
        "signals": np.array(signals, dtype=object),
        "error": np.array(errors, dtype=object),
    }


@dataclass(frozen=True)
class _Pass:
    """One start of a run, in the driver: what is to do, and screening what is hashed."""

    db: Database
    screener: Screener
    run_id: str
    options: Options
    tally: Tally

    def todo(self, source: Source) -> list[dict[str, str]]:
        """The items of ``source`` no run has decided, as rows for Ray."""
        rows = {item_key(source, item, self.options): item.location for item in source.listing()}
        self.tally.listed = len(rows)
        done = store.known_keys(self.db, list(rows))
        self.tally.skipped = len(done)
        return [{"key": key, "location": where} for key, where in rows.items() if key not in done]

    def screen(self, batch: Batch) -> None:
        """Claim the batch's hashed items, screen each, and record the decisions."""
        rows = list(
            zip(batch["key"], batch["location"], batch["signals"], batch["error"], strict=True)
        )
        self.tally.scanned += len(rows)
        self.tally.errors.update(str(error) for *_, error in rows if error)
        hashed = {str(key): str(where) for key, where, _, error in rows if not error}
        claimed = store.claim(self.db, self.run_id, hashed)
        self.tally.skipped += len(hashed) - len(claimed)  # another run has them
        decided = []
        for key, _, signals, _ in rows:
            if key in claimed:
                requester = Requester(self.options.client, store.SOURCE, content_id=str(key))
                found = self.screener.screen(_decode(str(signals)), requester, self.options.banks)
                decided.append(store.Decided(str(key), found.screening_id, found.decision.value))
                self.tally.decisions[found.decision.value] += 1
        store.record(self.db, self.run_id, decided, self.tally.as_dict(store.RUNNING))


def _encode(signals: ContentSignals) -> str:
    return json.dumps(
        {
            name: [[v.value, v.quality, v.view] for v in found]
            for name, found in signals.values.items()
        }
    )


def _decode(text: str) -> ContentSignals:
    values: Mapping[str, list[list[Any]]] = json.loads(text)
    return ContentSignals(
        {
            name: tuple(SignalValue(v, q, view) for v, q, view in found)
            for name, found in values.items()
        }
    )
