"""Exact radius search over 256-bit codes by Hamming distance, with live updates.

The index is a small log-structured set of immutable *segments* plus an append buffer:

- A segment is a multi-index hashing structure (Norouzi et al., "Fast Search in Hamming
  Space with Multi-Index Hashing", 2012): the 256 bits are cut into ``m`` substrings, each
  with a direct-addressed table of rows sorted by that substring. The substring length is
  chosen from the segment's size (about log2 n bits, so that a bucket holds about one
  row), and a search falls back to a linear scan when that is cheaper for the radius.
- New codes go to a buffer that is scanned linearly; a full buffer becomes a segment, and
  segments of similar size are merged, so any add costs amortised O(log n).
- Removing marks rows dead at once; ``compact`` drops them.
- ``freeze`` takes the state cheaply (segments shared, masks copied) so that a snapshot
  is written while the index goes on serving; ``load`` memory-maps what ``save`` wrote.

Searches are exact: every (id, distance) within the radius, nothing else.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from itertools import combinations
from pathlib import Path

import numpy as np

from safeguard.index import mih_kernels as kernels

CODE_BYTES = 32
_WORDS = CODE_BYTES // 8
BUFFER_SIZE = 4096
MIN_TABLE_ROWS = 2048  # smaller segments are only ever scanned
_FORMAT = "safeguard-hamming-index-2"
# A random probe (a table bucket or a candidate's code) costs about as much as scanning
# this many rows in order; used to choose between the tables and a linear scan.
_PROBE_COST_IN_ROWS = 8


def _as_words(codes: np.ndarray) -> np.ndarray:
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    if codes.ndim != 2 or codes.shape[1] != CODE_BYTES:
        raise ValueError(f"codes must have shape (n, {CODE_BYTES})")
    return codes.view(np.uint64).reshape(-1, _WORDS)


def substring_layout(rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, lengths) of the substrings for a segment of ``rows`` codes."""
    bits = max(8.0, math.log2(max(rows, 2)))
    tables = min(32, max(8, round(256 / bits)))
    short, extra = divmod(256, tables)
    lengths = np.array([short + 1] * extra + [short] * (tables - extra), dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return starts, lengths


@cache
def _flip_masks(length: int, radius: int) -> np.ndarray:
    masks = [0] if radius >= 0 else []
    for flipped in range(1, radius + 1):
        masks.extend(sum(1 << b for b in bits) for bits in combinations(range(length), flipped))
    return np.array(masks, dtype=np.uint32)


def _ball_size(length: int, radius: int) -> int:
    """Keys within ``radius`` of a ``length``-bit key (none for a negative radius)."""
    return sum(math.comb(length, k) for k in range(min(radius, length) + 1))


@dataclass
class Segment:
    """Immutable codes sorted by id, their tables, and a mutable alive mask."""

    ids: np.ndarray  # int64, ascending
    codes: np.ndarray  # (n, 4) uint64, same row order
    alive: np.ndarray  # bool
    starts: np.ndarray
    lengths: np.ndarray
    table_base: np.ndarray  # where each table's offsets begin in ``offsets``
    offsets: np.ndarray  # uint32, 2**length + 1 per table
    rows: np.ndarray  # (tables, n) uint32
    live: int

    @classmethod
    def build(cls, ids: np.ndarray, words: np.ndarray) -> Segment:
        order = np.argsort(ids, kind="stable")
        ids = np.ascontiguousarray(ids[order])
        codes = np.ascontiguousarray(words[order])
        n = len(ids)
        if n >= MIN_TABLE_ROWS:
            starts, lengths = substring_layout(n)
        else:
            starts = lengths = np.empty(0, dtype=np.int64)
        sizes = (1 << lengths) + 1
        table_base = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        offsets = np.empty(int(sizes.sum()), dtype=np.uint32)
        rows = np.empty((len(lengths), n), dtype=np.uint32)
        for t in range(len(lengths)):
            table = offsets[table_base[t] : table_base[t] + sizes[t]]
            kernels.build_table(codes, int(starts[t]), int(lengths[t]), table, rows[t])
        return cls(
            ids, codes, np.ones(n, dtype=bool), starts, lengths, table_base, offsets, rows, n
        )

    def __len__(self) -> int:
        return len(self.ids)

    def locate(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the alive entries among ``ids`` (ids not here are skipped)."""
        if len(self.ids) == 0:
            return np.empty(0, dtype=np.int64)
        positions: np.ndarray = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        found = (self.ids[positions] == ids) & self.alive[positions]
        return np.asarray(positions[found], dtype=np.int64)

    def kill(self, rows: np.ndarray) -> None:
        rows = np.unique(rows)
        self.alive[rows] = False
        self.live -= len(rows)

    def search(self, queries: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query index, row, distance) of every alive row within ``radius``."""
        plan = self._plan(radius)
        capacity = max(64, 4 * len(queries))
        while True:
            out_query = np.empty(capacity, dtype=np.int64)
            out_row = np.empty(capacity, dtype=np.int64)
            out_distance = np.empty(capacity, dtype=np.int64)
            if plan is None:
                count = kernels.search_linear(
                    self.codes,
                    self.alive,
                    len(self),
                    queries,
                    radius,
                    out_query,
                    out_row,
                    out_distance,
                )
            else:
                table_radius, flips, flip_base, flip_count = plan
                count = kernels.search_tables(
                    self.codes,
                    self.alive,
                    self.starts,
                    self.lengths,
                    self.table_base,
                    self.offsets,
                    self.rows,
                    flips,
                    flip_base,
                    flip_count,
                    queries,
                    radius,
                    table_radius,
                    out_query,
                    out_row,
                    out_distance,
                )
            if count >= 0:
                return out_query[:count], out_row[:count], out_distance[:count]
            capacity *= 4

    def _plan(self, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Per-table radii and probe keys, or None when a linear scan is cheaper."""
        tables = len(self.lengths)
        if tables == 0:
            return None
        base, extra = divmod(radius, tables)
        table_radius = np.array(
            [base if t <= extra else base - 1 for t in range(tables)], dtype=np.int64
        )
        n = len(self)
        lengths = [int(length) for length in self.lengths]
        probes = [
            _ball_size(length, int(r)) for length, r in zip(lengths, table_radius, strict=True)
        ]
        candidates = sum(p * n / (1 << length) for p, length in zip(probes, lengths, strict=True))
        if (sum(probes) + candidates) * _PROBE_COST_IN_ROWS >= n:
            return None
        masks = [
            _flip_masks(length, int(r)) for length, r in zip(lengths, table_radius, strict=True)
        ]
        flip_count = np.array([len(m) for m in masks], dtype=np.int64)
        flip_base = np.concatenate([[0], np.cumsum(flip_count)[:-1]]).astype(np.int64)
        return table_radius, np.concatenate(masks), flip_base, flip_count

    def save(self, folder: Path, alive: np.ndarray) -> None:
        """Write the arrays to ``folder``, with ``alive`` as the mask of live rows."""
        folder.mkdir()
        for name in _SEGMENT_ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name))
        np.save(folder / "alive.npy", alive)

    @classmethod
    def load(cls, folder: Path) -> Segment:
        """Open a saved segment: its large arrays memory-mapped, its mask in memory."""
        arrays = {
            name: np.load(folder / f"{name}.npy", mmap_mode="r")
            for name in ("ids", "codes", "offsets", "rows")
        }
        small = {
            name: np.load(folder / f"{name}.npy") for name in ("starts", "lengths", "table_base")
        }
        alive = np.array(np.load(folder / "alive.npy"), dtype=bool)
        return cls(alive=alive, live=int(alive.sum()), **arrays, **small)


_SEGMENT_ARRAYS = ("ids", "codes", "starts", "lengths", "table_base", "offsets", "rows")


@dataclass(frozen=True)
class FrozenIndex:
    """An index's state at one moment, to write out while the index goes on changing:
    the segments (immutable, shared), copies of their masks, and a copy of the buffer."""

    segments: tuple[tuple[Segment, np.ndarray], ...]
    buffer_ids: np.ndarray
    buffer_codes: np.ndarray

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state to the folder ``path``, replacing it atomically."""
        target = Path(path)
        staging = Path(tempfile.mkdtemp(prefix=".index-", dir=target.parent))
        try:
            for number, (segment, alive) in enumerate(self.segments):
                segment.save(staging / f"segment-{number}", alive)
            np.save(staging / "buffer_ids.npy", self.buffer_ids)
            np.save(staging / "buffer_codes.npy", self.buffer_codes)
            meta = {"format": _FORMAT, "segments": len(self.segments)}
            (staging / "meta.json").write_text(json.dumps(meta))
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


class HammingIndex:
    """256-bit codes under int64 ids; ``search`` returns every id within a radius.

    ``add`` and ``remove`` take effect immediately. Not thread-safe: callers that search
    and update from several threads hold a lock (the screening Matcher does).
    """

    def __init__(self, codes: np.ndarray | None = None, ids: np.ndarray | None = None) -> None:
        self._segments: list[Segment] = []
        self._buffer_codes = np.zeros((BUFFER_SIZE, _WORDS), dtype=np.uint64)
        self._buffer_ids = np.zeros(BUFFER_SIZE, dtype=np.int64)
        self._buffer_alive = np.ones(BUFFER_SIZE, dtype=bool)
        self._buffer_row: dict[int, int] = {}
        if codes is not None and ids is not None:
            self.add(ids, codes)

    def __len__(self) -> int:
        return sum(s.live for s in self._segments) + len(self._buffer_row)

    def __contains__(self, item_id: int) -> bool:
        wanted = np.array([item_id], dtype=np.int64)
        return item_id in self._buffer_row or any(len(s.locate(wanted)) for s in self._segments)

    @property
    def segment_sizes(self) -> list[int]:
        return [len(s) for s in self._segments]

    def add(self, ids: np.ndarray, codes: np.ndarray) -> None:
        """Add codes under ids; an id already present takes the new code."""
        words = _as_words(codes)
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        if len(ids) != len(words):
            raise ValueError("ids and codes differ in length")
        increasing = bool(np.all(ids[1:] > ids[:-1]))
        if not increasing and len(np.unique(ids)) != len(ids):
            last = {int(item_id): i for i, item_id in enumerate(ids)}
            keep = np.array(sorted(last.values()), dtype=np.int64)
            ids, words = ids[keep], words[keep]
        self.remove(ids)
        if len(ids) >= BUFFER_SIZE:
            self._push_segment(Segment.build(ids, words))
            return
        for item_id, row_words in zip(ids.tolist(), words, strict=True):
            if len(self._buffer_row) == BUFFER_SIZE:
                self._flush_buffer()
            row = len(self._buffer_row)
            self._buffer_codes[row] = row_words
            self._buffer_ids[row] = item_id
            self._buffer_row[item_id] = row

    def remove(self, ids: np.ndarray) -> None:
        """Remove ids; ids not present are ignored."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        for segment in self._segments:
            rows = segment.locate(ids)
            if len(rows):
                segment.kill(rows)
        if not self._buffer_row:
            return
        buffered = np.intersect1d(ids, self._buffer_ids[: len(self._buffer_row)])
        for item_id in buffered.tolist():
            row = self._buffer_row.pop(item_id)
            last = len(self._buffer_row)  # the buffer's last row moves into the hole
            if row != last:
                moved = int(self._buffer_ids[last])
                self._buffer_codes[row] = self._buffer_codes[last]
                self._buffer_ids[row] = moved
                self._buffer_row[moved] = row

    def search(self, queries: np.ndarray, max_distance: int) -> list[list[tuple[int, int]]]:
        """For each query, every (id, distance) with distance <= max_distance, nearest first."""
        query_words = _as_words(queries)
        if max_distance < 0:
            return [[] for _ in range(len(query_words))]
        found: list[list[tuple[int, int]]] = [[] for _ in range(len(query_words))]
        parts = [(s.ids, s.search(query_words, max_distance)) for s in self._segments if s.live]
        size = len(self._buffer_row)
        if size:
            buffered = self._scan_buffer(query_words, max_distance, size)
            parts.append((self._buffer_ids, buffered))
        for ids, (query_index, rows, distances) in parts:
            for q, item_id, d in zip(
                query_index.tolist(), ids[rows].tolist(), distances.tolist(), strict=True
            ):
                found[q].append((item_id, d))
        for hits in found:
            hits.sort(key=lambda hit: (hit[1], hit[0]))
        return found

    def compact(self) -> None:
        """Merge every segment and the buffer into one, dropping removed codes."""
        ids, words = self._live_arrays()
        self._segments = [Segment.build(ids, words)] if len(ids) else []
        self._buffer_row.clear()

    def freeze(self) -> FrozenIndex:
        """The index's state now, cheap to take (the masks and the buffer are copied, the
        segments shared): save it without holding up searches and updates."""
        size = len(self._buffer_row)
        return FrozenIndex(
            tuple((s, s.alive.copy()) for s in self._segments),
            self._buffer_ids[:size].copy(),
            self._buffer_codes[:size].copy(),
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to the folder ``path``, replacing it atomically."""
        self.freeze().save(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> HammingIndex:
        """Open a saved index; its segments are memory-mapped, not read into memory."""
        folder = Path(path)
        meta = json.loads((folder / "meta.json").read_text())
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{folder} is not a saved Hamming index")
        index = cls()
        for number in range(int(meta["segments"])):
            segment = Segment.load(folder / f"segment-{number}")
            if segment.live:
                index._segments.append(segment)
        buffer_ids = np.load(folder / "buffer_ids.npy")
        if len(buffer_ids):
            index.add(buffer_ids, np.load(folder / "buffer_codes.npy").view(np.uint8))
        return index

    def _scan_buffer(
        self, queries: np.ndarray, radius: int, size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        capacity = max(64, 4 * len(queries))
        while True:
            out = [np.empty(capacity, dtype=np.int64) for _ in range(3)]
            count = kernels.search_linear(
                self._buffer_codes, self._buffer_alive, size, queries, radius, *out
            )
            if count >= 0:
                return out[0][:count], out[1][:count], out[2][:count]
            capacity *= 4

    def _flush_buffer(self) -> None:
        size = len(self._buffer_row)
        ids = self._buffer_ids[:size].copy()
        words = self._buffer_codes[:size].copy()
        self._buffer_row.clear()
        self._push_segment(Segment.build(ids, words))

    def _push_segment(self, segment: Segment) -> None:
        """Add a segment, then merge neighbours of similar size (largest first in the list)."""
        self._segments.append(segment)
        self._segments.sort(key=len, reverse=True)
        while len(self._segments) >= 2 and 2 * self._segments[-1].live >= self._segments[-2].live:
            small, larger = self._segments.pop(), self._segments.pop()
            ids = np.concatenate([larger.ids[larger.alive], small.ids[small.alive]])
            words = np.concatenate([larger.codes[larger.alive], small.codes[small.alive]])
            self._segments.append(Segment.build(ids, words))
            self._segments.sort(key=len, reverse=True)

    def _live_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        size = len(self._buffer_row)
        ids = [s.ids[s.alive] for s in self._segments] + [self._buffer_ids[:size]]
        words = [s.codes[s.alive] for s in self._segments] + [self._buffer_codes[:size]]
        return np.concatenate(ids), np.concatenate(words)
