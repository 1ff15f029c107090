"""Value indexes built on code indexes, and a linear one for small or unusual signal types."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np

from safeguard.index.base import FreezableCodes, IndexFactory, SavedState


class HexCodeIndex:
    """A ``ValueIndex`` of 64-hex-digit values (256-bit codes) over a ``CodeIndex``."""

    def __init__(self, codes: IndexFactory) -> None:
        self.codes = codes()

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        self.codes.add(np.asarray(ids, dtype=np.int64), _codes(values))

    def remove(self, ids: Sequence[int]) -> None:
        self.codes.remove(np.asarray(ids, dtype=np.int64))

    def search(self, values: Sequence[str], max_distance: int) -> list[list[tuple[int, int]]]:
        return self.codes.search(_codes(values), max_distance)

    def __len__(self) -> int:
        return len(self.codes)

    def freeze(self) -> SavedState | None:
        """The codes' state, if their index can give it (a snapshot needs it)."""
        return self.codes.freeze() if isinstance(self.codes, FreezableCodes) else None

    def restore(self, path: str | os.PathLike[str]) -> None:
        self.codes = type(self.codes).load(path)


class LinearIndex:
    """A ``ValueIndex`` that compares a query with every value: exact for any distance,
    and fast enough for lists of a few thousand values."""

    def __init__(self, distance: Callable[[str, str], int]) -> None:
        self.distance = distance
        self._values: dict[int, str] = {}

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        self._values.update(zip((int(i) for i in ids), values, strict=True))

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            self._values.pop(int(entry_id), None)

    def search(self, values: Sequence[str], max_distance: int) -> list[list[tuple[int, int]]]:
        results = []
        for query in values:
            found = ((i, self.distance(query, v)) for i, v in self._values.items())
            near = [(i, d) for i, d in found if d <= max_distance]
            results.append(sorted(near, key=lambda hit: (hit[1], hit[0])))
        return results

    def __len__(self) -> int:
        return len(self._values)


def _codes(values: Sequence[str]) -> np.ndarray:
    joined = b"".join(bytes.fromhex(value) for value in values)
    return np.frombuffer(joined, dtype=np.uint8).reshape(-1, 32)
