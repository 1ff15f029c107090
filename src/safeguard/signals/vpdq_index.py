"""The in-memory index of banked videos: every usable frame's PDQ hash in one
HammingIndex (the images' index), under a frame id that maps back to its video and time.

A query video is searched frame by frame through each of its views; the hits are then
gathered per banked video into the vPDQ reference's two shares (of the query's frames
that match, and of the banked video's), and into the longest stretch matched in order: the
frame pairs are grouped by their time offset (banked time minus query time), and the
offset most query frames agree on gives the clip and the time ranges. The shares find
whole copies; the clip finds an excerpt, whose share of the banked video is small.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from safeguard.index.base import SequenceHit
from safeguard.index.hamming import HammingIndex
from safeguard.signals.base import ORIGINAL_VIEW
from safeguard.signals.vpdq import QUALITY_THRESHOLD, VpdqFeature, parse

OFFSET_SECONDS = 1.0
"""Frame pairs whose time offsets round to within one of this of each other are taken as
one alignment."""

_Pair = tuple[int, float, float]  # (query frame, query time, banked time)


class VideoFrameIndex:
    """A ``SequenceIndex`` of vPDQ values (one banked video each)."""

    def __init__(self) -> None:
        self._codes = HammingIndex()
        self._frames_of: dict[int, np.ndarray] = {}  # entry id -> its frame ids
        self._entry = np.zeros(0, dtype=np.int64)  # frame id -> entry id
        self._time = np.zeros(0, dtype=np.float64)  # frame id -> seconds
        self._next = 0

    def __len__(self) -> int:
        return len(self._frames_of)

    def add(self, ids: Sequence[int], values: Sequence[str]) -> None:
        for entry_id, value in zip(ids, values, strict=True):
            self.remove([entry_id])
            usable = _usable(parse(value))
            frame_ids = np.arange(self._next, self._next + len(usable), dtype=np.int64)
            self._grow(self._next + len(usable))
            self._entry[frame_ids] = int(entry_id)
            self._time[frame_ids] = [f.timestamp for f in usable]
            self._next += len(usable)
            self._frames_of[int(entry_id)] = frame_ids
            if len(usable):
                self._codes.add(frame_ids, _codes(usable))

    def remove(self, ids: Sequence[int]) -> None:
        for entry_id in ids:
            frame_ids = self._frames_of.pop(int(entry_id), None)
            if frame_ids is not None and len(frame_ids):
                self._codes.remove(frame_ids)

    def search(self, values: Sequence[str], max_distance: int) -> list[list[tuple[int, int]]]:
        """Per query video, every banked video with a frame within ``max_distance`` of one
        of its frames, at the closest such distance."""
        results = []
        for value in values:
            hits = self.match_sequence([(ORIGINAL_VIEW, value, max_distance)])
            results.append(sorted(((h.entry_id, h.distance) for h in hits), key=_by_distance))
        return results

    def match_sequence(self, views: Sequence[tuple[str, str, int]]) -> list[SequenceHit]:
        query_frames: set[int] = set()
        pairs: dict[int, set[_Pair]] = {}  # entry -> (query frame, query time, banked time)
        closest: dict[int, tuple[int, str]] = {}  # entry -> (distance, view)
        matched_bank: dict[int, set[int]] = {}  # entry -> its frames that matched
        for view, value, radius in views:
            usable = _usable(parse(value))
            query_frames.update(f.frame for f in usable)
            if radius < 0 or not usable or not self._frames_of:
                continue
            found = self._codes.search(_codes(usable), radius)
            for feature, near in zip(usable, found, strict=True):
                for frame_id, distance in near:
                    entry = int(self._entry[frame_id])
                    matched_bank.setdefault(entry, set()).add(frame_id)
                    if entry not in closest or distance < closest[entry][0]:
                        closest[entry] = (distance, view)
                    pair = (feature.frame, feature.timestamp, float(self._time[frame_id]))
                    pairs.setdefault(entry, set()).add(pair)
        hits: list[SequenceHit] = []
        for entry, entry_pairs in pairs.items():
            distance, view = closest[entry]
            clip, ranges, query_ranges = _alignment(entry_pairs)
            matched_query = {frame for frame, _, _ in entry_pairs}
            hits.append(
                SequenceHit(
                    entry_id=entry,
                    distance=distance,
                    view=view,
                    query_percent=100.0 * len(matched_query) / max(1, len(query_frames)),
                    compared_percent=100.0
                    * len(matched_bank[entry])
                    / max(1, len(self._frames_of.get(entry, ()))),
                    clip_seconds=clip,
                    ranges=ranges,
                    query_ranges=query_ranges,
                )
            )
        return hits

    def _grow(self, size: int) -> None:
        if size <= len(self._entry):
            return
        capacity = max(size, 2 * len(self._entry), 1024)
        self._entry = np.resize(self._entry, capacity)
        self._time = np.resize(self._time, capacity)


def _usable(features: Sequence[VpdqFeature]) -> list[VpdqFeature]:
    return [f for f in features if f.quality >= QUALITY_THRESHOLD]


def _codes(features: Sequence[VpdqFeature]) -> np.ndarray:
    joined = b"".join(bytes.fromhex(f.pdq) for f in features)
    return np.frombuffer(joined, dtype=np.uint8).reshape(-1, 32)


def _by_distance(hit: tuple[int, int]) -> tuple[int, int]:
    return hit[1], hit[0]


def _alignment(
    pairs: set[_Pair],
) -> tuple[float, tuple[tuple[float, float], ...], tuple[tuple[float, float], ...]]:
    """The longest stretch of query time matched at one offset, and the matched ranges
    of the banked video and of the query at that offset."""
    frames_at: dict[int, set[int]] = {}  # offset -> query frames matched at it
    for frame, query, bank in pairs:
        frames_at.setdefault(_offset(query, bank), set()).add(frame)

    def support(offset: int) -> int:
        near = (frames_at.get(o, set()) for o in (offset - 1, offset, offset + 1))
        return len(set().union(*near))

    best = max(frames_at, key=lambda o: (support(o), -abs(o)))
    aligned = [(query, bank) for _, query, bank in pairs if abs(_offset(query, bank) - best) <= 1]
    query_times = sorted({query for query, _ in aligned})
    step = _step(query_times)
    query_ranges = _ranges(query_times, step)
    bank_ranges = _ranges(sorted({bank for _, bank in aligned}), step)
    longest = max((end - start + step for start, end in query_ranges), default=0.0)
    return round(longest, 3), bank_ranges, query_ranges


def _offset(query: float, bank: float) -> int:
    return round((bank - query) / OFFSET_SECONDS)


def _step(times: list[float]) -> float:
    """The usual gap between consecutive query frames (their sampling interval)."""
    gaps = [b - a for a, b in itertools.pairwise(times) if b > a]
    return float(np.median(gaps)) if gaps else OFFSET_SECONDS


def _ranges(times: list[float], step: float) -> tuple[tuple[float, float], ...]:
    """Runs of times no more than two steps apart, as (start, end) seconds."""
    runs: list[tuple[float, float]] = []
    for time in times:
        if runs and time - runs[-1][1] <= 2 * step + 1e-6:
            runs[-1] = (runs[-1][0], time)
        else:
            runs.append((time, time))
    return tuple((round(start, 3), round(end, 3)) for start, end in runs)
