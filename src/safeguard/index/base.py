"""What screening needs of an index, so another can replace the in-process one (a sharded,
remote or snapshotted index) without any change to screening: ``CodeIndex`` over 256-bit
codes, and ``ValueIndex`` over any signal type's values."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, Self, runtime_checkable

import numpy as np


class CodeIndex(Protocol):
    """Ids under 256-bit codes, searched exactly by Hamming distance."""

    def add(self, ids: np.ndarray, codes: np.ndarray) -> None:
        """Add (n,) int64 ids under (n, 32) uint8 codes; an id already present is replaced."""

    def remove(self, ids: np.ndarray) -> None:
        """Remove ids; ids not present are ignored."""

    def search(self, queries: np.ndarray, max_distance: int) -> list[list[tuple[int, int]]]:
        """For each (32,) uint8 query, every (id, distance) within ``max_distance``,
        nearest first."""

    def __len__(self) -> int:
        """How many ids the index holds."""

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to ``path``, replacing what was there atomically."""

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Open an index written by ``save``."""


IndexFactory = Callable[[], CodeIndex]
"""Makes an empty index; the matcher holds one per bank."""


class ValueIndex(Protocol):
    """Ids under signal values (normalised strings), searched within a distance: what the
    matcher holds per bank for each signal type that matches by distance."""

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        """Add ids under values; an id already present is replaced."""

    def remove(self, ids: Sequence[int]) -> None:
        """Remove ids; ids not present are ignored."""

    def search(self, values: Sequence[str], max_distance: int) -> list[list[tuple[int, int]]]:
        """For each value, every (id, distance) within ``max_distance``, nearest first."""

    def __len__(self) -> int:
        """How many ids the index holds."""


class SavedState(Protocol):
    """An index's state taken at one moment, to be written out later."""

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state to the folder ``path``, replacing what was there atomically."""


@runtime_checkable
class FreezableCodes(CodeIndex, Protocol):
    """A CodeIndex whose state can be taken cheaply while it serves (``HammingIndex``)."""

    def freeze(self) -> SavedState:
        """The state now; saving it does not hold up searches or updates."""


@runtime_checkable
class SnapshotIndex(ValueIndex, Protocol):
    """A ValueIndex that can be written to a snapshot and reopened from one."""

    def freeze(self) -> SavedState | None:
        """The state now, to save outside the matcher's lock; None when this index
        cannot be snapshotted (its entries are then read from the database at start)."""

    def restore(self, path: str | os.PathLike[str]) -> None:
        """Replace the contents with a state saved at ``path``."""


@dataclass(frozen=True)
class SequenceHit:
    """How much of a query sequence (a video's frames) matches one indexed sequence.

    ``query_percent`` of the query's usable frames match some frame of the entry, and
    ``compared_percent`` of the entry's usable frames match some frame of the query (the
    vPDQ reference's two shares); ``clip_seconds`` is the longest stretch of the query
    that matches the entry in order, at one time offset; the ranges (start, end seconds)
    say where, in the entry and in the query. ``distance`` is the closest frame pair's,
    through ``view``.
    """

    entry_id: int
    distance: int
    view: str
    query_percent: float
    compared_percent: float
    clip_seconds: float
    ranges: tuple[tuple[float, float], ...]
    query_ranges: tuple[tuple[float, float], ...]


@runtime_checkable
class SequenceIndex(ValueIndex, Protocol):
    """A ValueIndex whose values are sequences (a video's frames), matched as a whole."""

    def match_sequence(self, views: Sequence[tuple[str, str, int]]) -> list[SequenceHit]:
        """The entries matching a query given as (view, value, radius) for each view of
        it: a query frame matches through any of its views within that view's radius."""
