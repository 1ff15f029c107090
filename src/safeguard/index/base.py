"""What screening needs of an index, so another can replace the in-process one (a sharded,
remote or snapshotted index) without any change to screening: ``CodeIndex`` over 256-bit
codes, and ``ValueIndex`` over any signal type's values."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Protocol, Self

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
