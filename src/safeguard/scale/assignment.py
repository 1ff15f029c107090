"""Which shard holds an entry: shard ``entry_id % shards``.

Entry ids come from one database sequence, so the remainder spreads entries evenly and
never moves one while the number of shards stays the same; a shard finds its own rows in
the database and the change log with the same expression (``entry_id % shards = shard``).
"""

from __future__ import annotations

import numpy as np


def shard_of(entry_ids: np.ndarray, shards: int) -> np.ndarray:
    """The shard of each entry id."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards}")
    return np.asarray(entry_ids, dtype=np.int64) % shards


def split(entry_ids: np.ndarray, shards: int) -> list[np.ndarray]:
    """For each shard, the positions in ``entry_ids`` of the ids it holds."""
    owners = shard_of(entry_ids, shards)
    return [np.flatnonzero(owners == shard) for shard in range(shards)]
