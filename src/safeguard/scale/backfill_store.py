"""A backfill's checkpoint in the database: its runs and the items each decided.

An item is claimed (``pending``) just before it is screened and marked ``decided`` with
the screening's id just after. The screening's audit record names the item too (its
``content_id`` is the item's key), so a crash between the two is repaired on the next
start: a pending item whose screening was recorded takes that decision, one whose
screening was not is screened again. The key is unique: no item is decided twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from safeguard.errors import BadRequest, NotFound
from safeguard.store.db import Database, changed_rows
from safeguard.store.models import BackfillItem, BackfillRun, Screening, utcnow

SOURCE = "backfill"
"""The ``source`` of a backfill's screenings in the audit log."""
PENDING, DECIDED = "pending", "decided"
RUNNING, DONE, FAILED = "running", "done", "failed"
_CHUNK = 500  # keys a query names at once


@dataclass(frozen=True)
class Run:
    """A run as a backfill uses it: its id and whether an earlier start began it."""

    id: str
    resumed: bool


@dataclass(frozen=True)
class Decided:
    """An item's screening: the item's key, the screening's id and its decision."""

    key: str
    screening_id: str
    decision: str


def open_run(db: Database, source: str, options: Mapping[str, Any], resume: str | None) -> Run:
    """Run ``resume`` again, else the latest unfinished run of ``source`` with the same
    ``options``, else a new run; it is ``running`` from now on."""
    with db.session() as session:
        if resume is not None:
            run = session.get(BackfillRun, resume)
            if run is None:
                raise NotFound(f"no backfill run {resume}")
            if run.source != source or run.options != dict(options):
                raise BadRequest(f"backfill run {resume} is of {run.source} with {run.options}")
        else:
            earlier = session.scalars(
                select(BackfillRun)
                .where(BackfillRun.source == source, BackfillRun.state != DONE)
                .order_by(BackfillRun.created_at.desc())
            )
            run = next((r for r in earlier if r.options == dict(options)), None)
        resumed = run is not None
        if run is None:
            run = BackfillRun(source=source, options=dict(options), counts={})
            session.add(run)
        run.state, run.updated_at, run.finished_at = RUNNING, utcnow(), None
        session.flush()
        return Run(run.id, resumed)


def repair(db: Database, source: str, client: str) -> list[Decided]:
    """Settle the pending items of ``source``'s runs: those whose screening was recorded
    take its decision (returned), the others are freed to be screened again."""
    with db.session() as session:
        pending = list(
            session.scalars(
                select(BackfillItem)
                .join(BackfillRun, BackfillRun.id == BackfillItem.run_id)
                .where(BackfillRun.source == source, BackfillItem.state == PENDING)
            )
        )
        if not pending:
            return []
        since = min(item.claimed_at for item in pending)
        recorded: dict[str, tuple[str, str]] = {}
        for keys in _chunks([item.key for item in pending]):
            query = select(Screening.content_id, Screening.id, Screening.decision).where(
                Screening.source == SOURCE,
                Screening.client == client,
                Screening.created_at >= since,
                Screening.content_id.in_(keys),
            )
            recorded |= {str(key): (sid, decision) for key, sid, decision in session.execute(query)}
        adopted = []
        for item in pending:
            if item.key in recorded:
                screening_id, decision = recorded[item.key]
                item.state, item.decided_at = DECIDED, utcnow()
                item.screening_id, item.decision = screening_id, decision
                adopted.append(Decided(item.key, screening_id, decision))
            else:
                session.delete(item)
        return adopted


def known_keys(db: Database, keys: Sequence[str]) -> set[str]:
    """The keys among ``keys`` that a run has decided (or is deciding)."""
    found: set[str] = set()
    with db.read_session() as session:
        for chunk in _chunks(keys):
            found.update(
                session.scalars(select(BackfillItem.key).where(BackfillItem.key.in_(chunk)))
            )
    return found


def claim(db: Database, run_id: str, items: Mapping[str, str]) -> set[str]:
    """Claim the items (key: location) for ``run_id`` before they are screened; the keys
    it got (none that another run holds)."""
    if not items:
        return set()
    now = utcnow()
    rows = [
        {"run_id": run_id, "key": key, "location": location, "state": PENDING, "claimed_at": now}
        for key, location in items.items()
    ]
    with db.session() as session:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(dialect.insert(BackfillItem).on_conflict_do_nothing(), rows)
        return set(
            session.scalars(
                select(BackfillItem.key).where(
                    BackfillItem.run_id == run_id,
                    BackfillItem.state == PENDING,
                    BackfillItem.key.in_(list(items)),
                )
            )
        )


def record(
    db: Database, run_id: str, decided: Collection[Decided], counts: Mapping[str, Any]
) -> None:
    """Mark claimed items decided and keep the run's counts, in one transaction."""
    now = utcnow()
    with db.session() as session:
        for item in decided:
            changed_rows(
                session,
                update(BackfillItem)
                .where(BackfillItem.key == item.key, BackfillItem.run_id == run_id)
                .values(
                    state=DECIDED,
                    decision=item.decision,
                    screening_id=item.screening_id,
                    decided_at=now,
                ),
            )
        _set_counts(session.get_one(BackfillRun, run_id), counts, None)


def finish(db: Database, run_id: str, state: str, counts: Mapping[str, Any]) -> None:
    """End a run ``done`` or ``failed``, with its counts."""
    with db.session() as session:
        _set_counts(session.get_one(BackfillRun, run_id), counts, state)


def _set_counts(run: BackfillRun, counts: Mapping[str, Any], state: str | None) -> None:
    run.counts, run.updated_at = dict(counts), utcnow()
    if state is not None:
        run.state, run.finished_at = state, run.updated_at


def _chunks(keys: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield list(keys[start : start + _CHUNK])
