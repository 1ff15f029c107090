"""One shard's rows of the database: its enabled entries of a signal type, and the
change-log rows of its entries since a sequence number."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguard.store.changes import changes_since, last_change
from safeguard.store.models import ContentItem, Entry, EntryChange

_BATCH = 50_000


@dataclass(frozen=True)
class ShardSpec:
    """Shard ``shard`` of ``shards`` of the entries of signal type ``kind``."""

    kind: str
    shard: int
    shards: int


@dataclass(frozen=True)
class ShardChanges:
    """The changes of a shard's entries up to ``seq``: each changed entry's current
    (bank id, value), or None when it no longer takes part."""

    seq: int
    latest: dict[int, tuple[str, str] | None]


def shard_entries(session: Session, spec: ShardSpec) -> Iterator[tuple[str, int, str]]:
    """(bank id, entry id, value) of every enabled entry of the shard."""
    query = (
        select(Entry.bank_id, Entry.id, Entry.value)
        .join(ContentItem, ContentItem.id == Entry.content_item_id)
        .where(
            Entry.signal_type == spec.kind,
            Entry.enabled,
            ContentItem.enabled,
            Entry.id % spec.shards == spec.shard,
        )
    )
    yield from session.execute(query.execution_options(yield_per=_BATCH))


def shard_changes(session: Session, spec: ShardSpec, after: int) -> ShardChanges:
    """The shard's changes logged after ``after``, up to the last change logged now."""
    logged = last_change(session)
    query = changes_since(after).where(
        EntryChange.seq <= logged, EntryChange.entry_id % spec.shards == spec.shard
    )
    latest: dict[int, tuple[str, str] | None] = {}
    for _, entry_id, bank_id, kind, value, enabled in session.execute(query):
        latest[entry_id] = (bank_id, value) if kind == spec.kind and enabled else None
    return ShardChanges(logged, latest)
