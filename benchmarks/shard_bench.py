"""The PDQ index in 1, 2 and 4 shards against the single in-process HammingIndex, same
data, one run.

    .venv/bin/python benchmarks/shard_bench.py --n 10000000

N random 256-bit codes (one bank; ids 0..N-1, so shard s of S holds the ids with
id % S == s) and batches of queries, half of them indexed codes with up to 30 bits
flipped, half fresh random codes. For the single HammingIndex, then for each shard count
on each backend (Ray actors, one replica per shard; shards in this process on a thread
pool), it prints the build time (for Ray: sending each shard its codes and building
there), the memory of each shard (the resident size an actor gained; in process, the
arrays' bytes), the batch latency at radius 31 and 44 (p50 and p99 over the batches) and
queries per second, each against the single index (the "x" columns: >1 is slower), the
CPU time spent per query (this process and every actor: robust when other work shares the
cores, so it gives queries per second per core), and checks every answer equals the
single index's. "fan-out" is the round trip of an empty batch to every shard: the cost of
asking the shards at all.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from safeguard.index.hamming import HammingIndex
from safeguard.scale.local import LocalBackend
from safeguard.scale.replica import Hits
from safeguard.scale.sharded import ShardBackend, ShardedIndex

BANK = "bench"
RADII = (31, 44)
Search = Callable[[np.ndarray, int], list[Hits]]
Clock = Callable[[], float]
"""CPU seconds used so far by this process and the shards' processes."""


def rss_mb(pid: str = "self") -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def make_data(n: int, queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    bits = np.unpackbits(codes[rng.integers(0, n, queries // 2)], axis=1)
    for row in bits:
        row[rng.choice(256, int(rng.integers(0, 31)), replace=False)] ^= 1
    fresh = rng.integers(0, 256, (queries - len(bits), 32), dtype=np.uint8)
    mixed = np.concatenate([np.packbits(bits, axis=1), fresh])
    return codes, mixed[rng.permutation(len(mixed))]


@dataclass
class Row:
    name: str
    build_s: float
    shard_mb: list[float]
    fan_out_ms: float
    p50_ms: dict[int, float]
    p99_ms: dict[int, float]
    qps: dict[int, float]
    cpu_ms: dict[int, float]  # CPU per query


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds of this process and the processes ``pids``."""
    ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return time.process_time() + ticks / os.sysconf("SC_CLK_TCK")


def timed_batches(
    search: Search,
    queries: np.ndarray,
    batch: int,
    clock: Clock,
    expected: dict[int, list[Hits]] | None,
) -> tuple[Row, dict[int, list[Hits]]]:
    """p50 and p99 batch latency, q/s and CPU per query at each radius (in a Row to
    complete); every answer, checked against ``expected`` when given."""
    row, answers = Row("", 0.0, [], 0.0, {}, {}, {}, {}), {}
    for radius in RADII:
        search(queries[:batch], radius)  # warm up: compiled kernels, page faults
        spent, found = [], []
        cpu = clock()
        for start in range(0, len(queries), batch):
            began = time.perf_counter()
            found += search(queries[start : start + batch], radius)
            spent.append(time.perf_counter() - began)
        if expected is not None and found != expected[radius]:
            raise AssertionError(f"the shards' answers at radius {radius} differ")
        row.cpu_ms[radius] = (clock() - cpu) / len(queries) * 1000
        row.p50_ms[radius] = statistics.median(spent) * 1000
        row.p99_ms[radius] = float(np.percentile(spent, 99)) * 1000
        row.qps[radius] = len(queries) / sum(spent)
        answers[radius] = found
    return row, answers


def ray_backend(shards: int) -> tuple[ShardBackend, Callable[[], list[float]], Clock]:
    """Ray actors, one per shard, what reads their resident sizes, and a CPU clock."""
    from safeguard.scale.ray_shards import RayBackend, connect

    connect(None)
    backend = RayBackend.create(shards)
    import ray

    pids = ray.get(
        [a.__ray_call__.remote(lambda _: __import__("os").getpid()) for [a] in backend.actors]
    )
    return backend, lambda: [rss_mb(str(pid)) for pid in pids], lambda: cpu_seconds(pids)


def local_backend(shards: int) -> tuple[ShardBackend, Callable[[], list[float]], Clock]:
    backend = LocalBackend.create(shards)
    before = rss_mb()
    return backend, lambda: [(rss_mb() - before) / shards] * shards, time.process_time


def run_sharded(
    name: str,
    make: Callable[[int], tuple[ShardBackend, Callable[[], list[float]], Clock]],
    shards: int,
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
    batch: int,
    expected: dict[int, list[Hits]],
) -> Row:
    ids, codes, queries = data
    backend, memory, clock = make(shards)
    index = ShardedIndex(backend)
    try:
        warm = np.arange(5000, dtype=np.int64) + len(ids)  # kernels loaded in every shard
        index.add("warm", warm, codes[:5000])
        index.search([("warm", 31, queries[:1])])
        index.remove(warm)
        gc.collect()
        before = memory()
        began = time.perf_counter()
        index.add(BANK, ids, codes)
        build_s = time.perf_counter() - began
        gc.collect()
        grown = [after - start for after, start in zip(memory(), before, strict=True)]
        empty = [time.perf_counter()]
        for _ in range(50):
            index.search([("none", 31, queries[:1])])
            empty.append(time.perf_counter())
        fan_out = statistics.median(np.diff(empty)) * 1000

        def search(q: np.ndarray, radius: int) -> list[Hits]:
            return index.search([(BANK, radius, q)])[0]

        row, _ = timed_batches(search, queries, batch, clock, expected)
        row.name, row.build_s, row.shard_mb = f"{name} x{shards}", build_s, grown
        row.fan_out_ms = fan_out
        return row
    finally:
        index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="codes in all shards together")
    parser.add_argument("--shards", default="1,2,4")
    parser.add_argument("--backends", default="ray,local", help="ray and/or local")
    parser.add_argument("--batch", type=int, default=100, help="queries per batch")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    codes, queries = make_data(args.n, args.queries, args.seed)
    ids = np.arange(args.n, dtype=np.int64)
    HammingIndex(codes[:5000], ids[:5000]).search(queries[:1], 31)  # compile the kernels
    gc.collect()
    before = rss_mb()
    began = time.perf_counter()
    single = HammingIndex(codes, ids)
    build_s = time.perf_counter() - began
    grown = rss_mb() - before
    base, expected = timed_batches(single.search, queries, args.batch, time.process_time, None)
    base.name, base.build_s, base.shard_mb = "HammingIndex", build_s, [grown]
    rows = [base]
    del single
    gc.collect()
    makers = {"ray": ray_backend, "local": local_backend}
    for backend in args.backends.split(","):
        for shards in (int(s) for s in args.shards.split(",")):
            data = (ids, codes, queries)
            rows.append(run_sharded(backend, makers[backend], shards, data, args.batch, expected))
            gc.collect()
    report(rows, args)


def report(rows: list[Row], args: argparse.Namespace) -> None:
    hits = "answers equal to the single index's"
    print(f"n={args.n:,} codes, {args.queries} queries in batches of {args.batch}; {hits}")
    head = f"{'index':<14}{'build s':>8}{'MB/shard':>10}{'fan-out ms':>11}"
    for radius in RADII:
        head += f"{f'r{radius} p50':>9}{'p99':>8}{'q/s':>8}{'p50 x':>7}{'q/s x':>7}"
        head += f"{'CPU ms/q':>9}{'CPU x':>7}"
    print(head)
    base = rows[0]
    for row in rows:
        line = f"{row.name:<14}{row.build_s:>8.1f}{max(row.shard_mb):>10,.0f}"
        line += f"{row.fan_out_ms:>11.2f}"
        for r in RADII:
            slower, rate = row.p50_ms[r] / base.p50_ms[r], base.qps[r] / row.qps[r]
            line += f"{row.p50_ms[r]:>9.1f}{row.p99_ms[r]:>8.1f}{row.qps[r]:>8,.0f}"
            line += f"{slower:>7.2f}{rate:>7.2f}"
            line += f"{row.cpu_ms[r]:>9.3f}{row.cpu_ms[r] / base.cpu_ms[r]:>7.2f}"
        print(line)


if __name__ == "__main__":
    main()
