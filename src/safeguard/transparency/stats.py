"""The pure figure computations of a report: medians and percentiles of durations,
measured precision, and the suppression of small counts."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

Figures = dict[str, Any]
"""A report section: names to counts, shares, nested sections or None."""


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``share`` of the
    values at or below it (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count; None for
    no values)."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def durations(seconds: Sequence[float]) -> Figures:
    """How many durations, their median and their 90th percentile, in seconds."""
    p90 = percentile(seconds, 0.9)
    middle = median(seconds)
    return {
        "n": len(seconds),
        "median_seconds": round(middle, 3) if middle is not None else None,
        "p90_seconds": round(p90, 3) if p90 is not None else None,
    }


def precision(confirmed: int, false_positives: int) -> Figures:
    """The share of decided detections confirmed (None when none was decided), with
    its N."""
    n = confirmed + false_positives
    share = round(confirmed / n, 4) if n else None
    return {"n": n, "confirmed": confirmed, "false_positive": false_positives, "precision": share}


def counts(keys: Iterable[str], known: Iterable[str] = ()) -> dict[str, int]:
    """How often each key occurs, sorted by key; every name in ``known`` is present,
    with 0 when absent."""
    found: dict[str, int] = dict.fromkeys(known, 0)
    for key in keys:
        found[key] = found.get(key, 0) + 1
    return dict(sorted(found.items()))


def suppress(figures: Figures, min_count: int, path: str = "") -> list[str]:
    """Replace in place every count from 1 to ``min_count - 1`` with None, and the
    other numbers of a section whose ``n`` was suppressed (its median, its precision);
    the dotted paths of what was suppressed, in order. Zero stays: it identifies no one.
    """
    suppressed: list[str] = []
    for name, value in figures.items():
        where = f"{path}.{name}" if path else name
        if isinstance(value, dict):
            suppressed += suppress(value, min_count, where)
        elif _small(value, min_count):
            figures[name] = None
            suppressed.append(where)
    if path and f"{path}.n" in suppressed:
        for name, value in figures.items():
            if name != "n" and isinstance(value, int | float) and not isinstance(value, bool):
                figures[name] = None
                suppressed.append(f"{path}.{name}")
    return suppressed


def _small(value: object, min_count: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < min_count
