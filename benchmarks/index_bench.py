"""Radius search over 256-bit PDQ codes: HammingIndex against faiss, same data, one run.

    .venv/bin/python benchmarks/index_bench.py --n 10000000

Builds uniform random codes plus planted clusters of near-duplicates (real lists hold many
edits of one image), then runs the same queries (half near-duplicates of indexed codes,
half fresh random codes) at radius 31 through:

- HammingIndex (this project),
- faiss IndexBinaryFlat (exhaustive; its results are the ground truth),
- faiss IndexBinaryMultiHash(256, 16, 16) with nflip=1 (the configuration of Meta's HMA).

Everything runs on one thread. Prints build time, memory, single-query latency, batched
throughput, recall and extra results against the ground truth, the time of 10k adds and
10k removes interleaved with queries, and each peer's time relative to HammingIndex.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import faiss
import numpy as np

from safeguard.index.hamming import HammingIndex

RADIUS = 31
Hits = list[set[tuple[int, int]]]


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def flip_bits(codes: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Copies of ``codes`` with ``counts[i]`` random bits of row i flipped."""
    bits = np.unpackbits(codes, axis=1)
    for i, count in enumerate(counts):
        bits[i, rng.choice(256, size=int(count), replace=False)] ^= 1
    return np.packbits(bits, axis=1)


def make_data(n: int, queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    planted = n // 10
    centres = rng.integers(0, 256, (planted // 10, 32), dtype=np.uint8)
    members = np.repeat(centres, 10, axis=0)
    members = flip_bits(members, rng.integers(0, 16, len(members)), rng)
    codes = np.concatenate([rng.integers(0, 256, (n - len(members), 32), dtype=np.uint8), members])
    picked = codes[rng.integers(0, n, queries // 2)]
    near = flip_bits(picked, rng.integers(0, 31, len(picked)), rng)
    fresh = rng.integers(0, 256, (queries - len(near), 32), dtype=np.uint8)
    return codes, np.concatenate([near, fresh])


@dataclass
class Result:
    name: str
    build_s: float
    memory_mb: float
    p50_ms: float
    p99_ms: float
    qps: float
    hits: Hits


def measure(
    name: str,
    build: Callable[[], object],
    search: Callable[[object, np.ndarray], Hits],
    queries: np.ndarray,
    singles: int,
) -> tuple[object, Result]:
    gc.collect()
    before = rss_mb()
    start = time.perf_counter()
    index = build()
    build_s = time.perf_counter() - start
    memory = rss_mb() - before
    search(index, queries[:2])  # warm up (compilation, page faults)
    latencies = []
    for i in range(singles):
        start = time.perf_counter()
        search(index, queries[i : i + 1])
        latencies.append(time.perf_counter() - start)
    start = time.perf_counter()
    hits = search(index, queries)
    qps = len(queries) / (time.perf_counter() - start)
    p50 = statistics.median(latencies) * 1000
    p99 = float(np.percentile(latencies, 99)) * 1000
    return index, Result(name, build_s, memory, p50, p99, qps, hits)


def ours_search(index: object, queries: np.ndarray) -> Hits:
    assert isinstance(index, HammingIndex)
    return [set(hits) for hits in index.search(queries, RADIUS)]


def faiss_search(index: object, queries: np.ndarray) -> Hits:
    lims, distances, ids = index.range_search(queries, RADIUS + 1)  # type: ignore[attr-defined]
    return [
        set(
            zip(
                ids[lims[q] : lims[q + 1]].tolist(),
                distances[lims[q] : lims[q + 1]].tolist(),
                strict=True,
            )
        )
        for q in range(len(queries))
    ]


def faiss_builder(kind: str, codes: np.ndarray) -> Callable[[], object]:
    def build() -> object:
        if kind == "flat":
            index = faiss.IndexBinaryFlat(256)
        else:
            index = faiss.IndexBinaryMultiHash(256, 16, 16)
            index.nflip = 1
        index.add(codes)
        return index

    return build


def updates(index: HammingIndex, n: int, queries: np.ndarray, seed: int) -> tuple[float, float]:
    """Seconds spent in 10k adds, then 10k removes, in batches of 100 between queries."""
    rng = np.random.default_rng(seed)
    new_codes = rng.integers(0, 256, (10_000, 32), dtype=np.uint8)
    new_ids = np.arange(n, n + 10_000, dtype=np.int64)
    spent = [0.0, 0.0]
    for phase, ids in enumerate((new_ids, rng.choice(n, 10_000, replace=False))):
        for start in range(0, 10_000, 100):
            began = time.perf_counter()
            if phase == 0:
                index.add(ids[start : start + 100], new_codes[start : start + 100])
            else:
                index.remove(ids[start : start + 100])
            spent[phase] += time.perf_counter() - began
            index.search(queries[start % len(queries) : start % len(queries) + 1], RADIUS)
    return spent[0], spent[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="codes in the index")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--singles", type=int, default=200, help="single-query timings")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"

    codes, queries = make_data(args.n, args.queries, args.seed)
    warm = HammingIndex(codes[:5000], np.arange(5000))  # load the compiled kernels first,
    warm.search(queries[:1], RADIUS)  # so that memory and times are the index's own
    del warm
    ids = np.arange(args.n, dtype=np.int64)
    print(
        f"n={args.n:,} codes ({args.n // 10:,} in planted clusters), "
        f"{len(queries)} queries, radius {RADIUS}"
    )

    ours, mine = measure(
        "HammingIndex", lambda: HammingIndex(codes, ids), ours_search, queries, args.singles
    )
    assert isinstance(ours, HammingIndex)
    index_mb = (
        sum(a.nbytes for s in ours._segments for a in (s.ids, s.codes, s.alive, s.offsets, s.rows))
        / 2**20
    )
    add_s, remove_s = updates(ours, args.n, queries, args.seed)
    del ours
    gc.collect()
    results = [mine]
    for name, kind in (("faiss Flat", "flat"), ("faiss MultiHash", "multihash")):
        peer, result = measure(
            name, faiss_builder(kind, codes), faiss_search, queries, args.singles
        )
        results.append(result)
        del peer
        gc.collect()

    truth = results[1].hits
    truth_total = sum(len(t) for t in truth)
    header = f"{'index':<17}{'build s':>9}{'RSS MB':>9}{'p50 ms':>9}{'p99 ms':>9}{'batch q/s':>11}"
    print(header + f"{'recall':>9}{'extra':>7}{'p99 x':>8}{'q/s x':>8}")
    for r in results:
        found = sum(len(h & t) for h, t in zip(r.hits, truth, strict=True))
        extra = sum(len(h - t) for h, t in zip(r.hits, truth, strict=True))
        recall = found / truth_total if truth_total else 1.0
        print(
            f"{r.name:<17}{r.build_s:>9.1f}{r.memory_mb:>9.0f}{r.p50_ms:>9.3f}{r.p99_ms:>9.3f}"
            f"{r.qps:>11.0f}{recall:>9.4f}{extra:>7}"
            f"{r.p99_ms / mine.p99_ms:>8.1f}{mine.qps / r.qps:>8.1f}"
        )
    print(f"results in the ground truth: {truth_total}")
    print(f"HammingIndex arrays: {index_mb:.0f} MB")
    print(
        "HammingIndex updates between queries: "
        f"10k adds {add_s:.3f} s, 10k removes {remove_s:.3f} s"
    )
    print("p99 x: peer's p99 latency / HammingIndex's; q/s x: HammingIndex throughput / peer's")


if __name__ == "__main__":
    main()
