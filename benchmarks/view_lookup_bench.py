"""The cost of looking up all of an upload's PDQ views, by index size and radius.

    .venv/bin/python benchmarks/view_lookup_bench.py [--n 10000000] [--allowance 13]

In a HammingIndex of ``--n`` random codes, on one core: one batch of as many radius
searches as a 1156x866 upload has views, all at one radius (31, 36, 40, 44); then the
batch as screening runs it, each view at its own threshold in a bank of threshold 31 with
the given edit-view allowance (views grouped by radius, one search per group).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from safeguard.config import DEFAULT_PDQ_VIEW_ALLOWANCE
from safeguard.index.hamming import HammingIndex
from safeguard.screening.views import edit_view_threshold, is_edit_view
from safeguard.signals.pdq import DEFAULT_THRESHOLD, MAX_THRESHOLD, pdq_views

UPLOAD = (866, 1156)


def view_radii(allowance: int) -> list[int]:
    """The radius of each view of a 1156x866 upload, as screening searches them."""
    plane = np.random.default_rng(1).uniform(0, 255, UPLOAD).astype(np.float32)
    return [
        edit_view_threshold(DEFAULT_THRESHOLD, allowance, MAX_THRESHOLD, name)
        if is_edit_view(name)
        else DEFAULT_THRESHOLD
        for name, _ in pdq_views(plane)
    ]


def p50_ms(work: Callable[[], object], repeats: int) -> float:
    work()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--allowance", type=int, default=DEFAULT_PDQ_VIEW_ALLOWANCE)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    radii = view_radii(args.allowance)
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 256, (args.n, 32), dtype=np.uint8)
    index = HammingIndex(codes, np.arange(args.n, dtype=np.int64))
    queries = rng.integers(0, 256, (len(radii), 32), dtype=np.uint8)
    queries[:5] = codes[:5]
    print(f"{args.n:,} codes, batches of {len(radii)} queries (one load: {os.getloadavg()[0]:.1f})")
    print(f"{'radius':<32}{'p50 ms per batch':>18}")
    for radius in (31, 36, 40, 44):
        batch = p50_ms(partial(index.search, queries, radius), args.repeats)
        print(f"{radius:<32}{batch:>18.1f}")
    groups: dict[int, list[int]] = {}
    for row, radius in enumerate(radii):
        groups.setdefault(radius, []).append(row)

    def by_view() -> None:
        for radius, rows in groups.items():
            index.search(queries[rows], radius)

    shown = ", ".join(f"{len(rows)} at {radius}" for radius, rows in sorted(groups.items()))
    label = f"per view, allowance {args.allowance}"
    print(f"{label:<32}{p50_ms(by_view, args.repeats):>18.1f}   ({shown})")


if __name__ == "__main__":
    main()
