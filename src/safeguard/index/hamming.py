"""Exact radius search over 256-bit codes by Hamming distance.

This is the simple, exact structure: every query is compared with every code, four
64-bit words at a time. It supports adds and removes that take effect at once.
"""

from __future__ import annotations

import numpy as np

CODE_BYTES = 32
_WORDS = CODE_BYTES // 8


def _as_words(codes: np.ndarray) -> np.ndarray:
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    if codes.ndim != 2 or codes.shape[1] != CODE_BYTES:
        raise ValueError(f"codes must have shape (n, {CODE_BYTES})")
    return codes.view(np.uint64).reshape(-1, _WORDS)


class HammingIndex:
    """Codes (n, 32) uint8 with int64 ids; ``search`` returns every id within a radius."""

    def __init__(self, codes: np.ndarray | None = None, ids: np.ndarray | None = None) -> None:
        self._words = np.empty((0, _WORDS), dtype=np.uint64)
        self._ids = np.empty(0, dtype=np.int64)
        self._row_of: dict[int, int] = {}
        self._size = 0
        if codes is not None and ids is not None:
            self.add(ids, codes)

    def __len__(self) -> int:
        return self._size

    def __contains__(self, item_id: int) -> bool:
        return item_id in self._row_of

    def add(self, ids: np.ndarray, codes: np.ndarray) -> None:
        """Add codes under ids; an id already present takes the new code."""
        words = _as_words(codes)
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(ids) != len(words):
            raise ValueError("ids and codes differ in length")
        self._reserve(self._size + len(ids))
        for item_id, row_words in zip(ids.tolist(), words, strict=True):
            row = self._row_of.get(item_id)
            if row is None:
                row = self._size
                self._size += 1
                self._row_of[item_id] = row
                self._ids[row] = item_id
            self._words[row] = row_words

    def remove(self, ids: np.ndarray) -> None:
        """Remove ids; ids not present are ignored."""
        for item_id in np.asarray(ids, dtype=np.int64).reshape(-1).tolist():
            row = self._row_of.pop(item_id, None)
            if row is None:
                continue
            last = self._size - 1
            if row != last:
                moved = int(self._ids[last])
                self._words[row] = self._words[last]
                self._ids[row] = moved
                self._row_of[moved] = row
            self._size = last

    def search(self, queries: np.ndarray, max_distance: int) -> list[list[tuple[int, int]]]:
        """For each query, every (id, distance) with distance <= max_distance, nearest first."""
        query_words = _as_words(queries)
        words = self._words[: self._size]
        ids = self._ids[: self._size]
        results: list[list[tuple[int, int]]] = []
        for query in query_words:
            distances = np.bitwise_count(words ^ query).sum(axis=1, dtype=np.int64)
            hits = np.flatnonzero(distances <= max_distance)
            order = hits[np.argsort(distances[hits], kind="stable")]
            results.append(list(zip(ids[order].tolist(), distances[order].tolist(), strict=True)))
        return results

    def _reserve(self, capacity: int) -> None:
        if capacity <= len(self._ids):
            return
        new_capacity = max(capacity, 2 * len(self._ids), 64)
        words = np.zeros((new_capacity, _WORDS), dtype=np.uint64)
        ids = np.zeros(new_capacity, dtype=np.int64)
        words[: self._size] = self._words[: self._size]
        ids[: self._size] = self._ids[: self._size]
        self._words, self._ids = words, ids
