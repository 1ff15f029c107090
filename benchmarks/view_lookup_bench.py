"""The cost of looking up all of an upload's PDQ views at each radius, by index size.

    .venv/bin/python benchmarks/view_lookup_bench.py [--n 10000000] [--views 22]

One batch of ``--views`` radius searches (five of them copies of indexed codes) in a
HammingIndex of ``--n`` random codes, as screening does for one upload: edit views are
searched at their threshold (44 by default), the upload itself at 31.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from safeguard.index.hamming import HammingIndex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--views", type=int, default=22)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 256, (args.n, 32), dtype=np.uint8)
    index = HammingIndex(codes, np.arange(args.n, dtype=np.int64))
    queries = rng.integers(0, 256, (args.views, 32), dtype=np.uint8)
    queries[:5] = codes[:5]
    print(f"{args.n:,} codes, batches of {args.views} queries")
    print(f"{'radius':<8}{'p50 ms per batch':>18}")
    for radius in (31, 36, 40, 44):
        index.search(queries, radius)
        seconds = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            index.search(queries, radius)
            seconds.append(time.perf_counter() - start)
        print(f"{radius:<8}{statistics.median(seconds) * 1000:>18.1f}")


if __name__ == "__main__":
    main()
