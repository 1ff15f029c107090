"""Compiled inner loops of the Hamming index: substring keys, table builds, searches.

Codes are 256-bit values held as four uint64 words. A table covers one substring of
``length`` bits starting at bit ``start`` (bit ``b`` of the code is bit ``b % 64`` of word
``b // 64``); its buckets hold the rows whose substring equals the bucket's key.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.core.extending import intrinsic

_CHUNK = 4096  # initial room for one query's candidates (grown when a query has more)


def _popcount_intrinsic(typingctx: Any, value: Any) -> tuple[Any, Any]:
    """The CPU's popcount instruction (llvm.ctpop) on a uint64."""
    signature = types.uint64(types.uint64)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        function = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
        return builder.call(function, args)

    return signature, codegen


_popcount: Any = intrinsic(_popcount_intrinsic)


def _prefetch_intrinsic(typingctx: Any, array: Any, index: Any) -> tuple[Any, Any]:
    """Ask the CPU to start loading ``array[index]`` into cache (llvm.prefetch)."""
    signature = types.void(array, index)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        view = context.make_array(sig.args[0])(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, sig.args[0], view, [args[1]])
        byte_pointer = builder.bitcast(pointer, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        function_type = ir.FunctionType(ir.VoidType(), [byte_pointer.type, i32, i32, i32])
        function = cgutils.get_or_insert_function(builder.module, function_type, "llvm.prefetch.p0")
        builder.call(function, [byte_pointer, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return signature, codegen


_prefetch: Any = intrinsic(_prefetch_intrinsic)


@njit(cache=True, nogil=True, inline="always")
def distance(codes: np.ndarray, row: int, query: np.ndarray) -> int:
    """Hamming distance between ``codes[row]`` and ``query`` (both four words)."""
    return int(
        _popcount(codes[row, 0] ^ query[0])
        + _popcount(codes[row, 1] ^ query[1])
        + _popcount(codes[row, 2] ^ query[2])
        + _popcount(codes[row, 3] ^ query[3])
    )


@njit(cache=True, nogil=True, inline="always")
def substring(words: np.ndarray, start: int, length: int) -> int:
    """Bits ``start .. start + length - 1`` of a four-word code, as an integer key."""
    word = start // 64
    shift = start % 64
    value = words[word] >> np.uint64(shift)
    if shift + length > 64:
        value |= words[word + 1] << np.uint64(64 - shift)
    return int(value & np.uint64((1 << length) - 1))


@njit(cache=True, nogil=True)
def build_table(
    codes: np.ndarray, start: int, length: int, offsets: np.ndarray, rows: np.ndarray
) -> None:
    """Counting sort of all rows by one substring: ``offsets`` (2**length + 1) and ``rows``."""
    n = codes.shape[0]
    keys = np.empty(n, dtype=np.uint32)
    offsets[:] = 0
    for row in range(n):
        key = substring(codes[row], start, length)
        keys[row] = key
        offsets[key + 1] += 1
    for key in range(1, offsets.shape[0]):
        offsets[key] += offsets[key - 1]
    cursor = offsets[:-1].copy()
    for row in range(n):
        key = keys[row]
        rows[cursor[key]] = row
        cursor[key] += 1


@njit(cache=True, nogil=True)
def _verify(
    codes: np.ndarray,
    alive: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    table_radius: np.ndarray,
    query: np.ndarray,
    q: int,
    radius: int,
    candidates: np.ndarray,
    candidate_tables: np.ndarray,
    size: int,
    out_query: np.ndarray,
    out_row: np.ndarray,
    out_distance: np.ndarray,
    count: int,
) -> int:
    """Compare candidates with the query; keep each row only from the first table that
    can find it. Returns the new result count, or -1 when the output is full."""
    for c in range(size):
        row = candidates[c]
        d = distance(codes, row, query)
        if d > radius or not alive[row]:
            continue
        seen = False
        for u in range(candidate_tables[c]):
            near = substring(codes[row], starts[u], lengths[u]) ^ substring(
                query, starts[u], lengths[u]
            )
            if _popcount(np.uint64(near)) <= table_radius[u]:
                seen = True
                break
        if seen:
            continue
        if count == out_row.shape[0]:
            return -1
        out_query[count] = q
        out_row[count] = row
        out_distance[count] = d
        count += 1
    return count


@njit(cache=True, nogil=True)
def search_tables(
    codes: np.ndarray,
    alive: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    table_base: np.ndarray,
    offsets: np.ndarray,
    rows: np.ndarray,
    flips: np.ndarray,
    flip_base: np.ndarray,
    flip_count: np.ndarray,
    queries: np.ndarray,
    radius: int,
    table_radius: np.ndarray,
    out_query: np.ndarray,
    out_row: np.ndarray,
    out_distance: np.ndarray,
) -> int:
    """Multi-index search: every alive row within ``radius`` of each query.

    By the pigeonhole principle, with ``radius = m * r + a`` (0 <= a < m), a row within
    ``radius`` has one of its first ``a + 1`` substrings within ``r`` of the query's, or
    one of the others within ``r - 1``; ``table_radius`` holds these per-table radii, and
    ``flips`` the keys to probe around the query's key in each table. A row is reported
    only from the first table that can find it, so no result repeats. The work is staged
    so that memory loads are issued in batches (bucket bounds, then bucket contents, then
    candidates' codes) instead of one dependent cache miss after another. Returns the
    number of results, or -1 when the output arrays are too small (the caller retries
    with larger ones).
    """
    count = 0
    tables = starts.shape[0]
    n = codes.shape[0]
    flat_codes = codes.reshape(-1)
    flat_rows = rows.reshape(-1)
    probes = int(flip_count.sum())
    bucket = np.empty(probes, dtype=np.int64)
    bucket_table = np.empty(probes, dtype=np.int64)
    candidates = np.empty(_CHUNK, dtype=np.int64)
    candidate_tables = np.empty(_CHUNK, dtype=np.int64)
    for q in range(queries.shape[0]):
        query = queries[q]
        probe = 0
        for t in range(tables):
            key = substring(query, starts[t], lengths[t])
            for f in range(flip_count[t]):
                slot = table_base[t] + (key ^ flips[flip_base[t] + f])
                _prefetch(offsets, slot)
                bucket[probe] = slot
                bucket_table[probe] = t
                probe += 1
        total = 0
        for i in range(probes):
            first = offsets[bucket[i]]
            if offsets[bucket[i] + 1] > first:
                _prefetch(flat_rows, bucket_table[i] * n + first)
                total += offsets[bucket[i] + 1] - first
        if total > candidates.shape[0]:
            candidates = np.empty(2 * total, dtype=np.int64)
            candidate_tables = np.empty(2 * total, dtype=np.int64)
        size = 0
        for i in range(probes):
            t = bucket_table[i]
            for p in range(offsets[bucket[i]], offsets[bucket[i] + 1]):
                row = flat_rows[t * n + p]
                _prefetch(flat_codes, row * 4)
                candidates[size] = row
                candidate_tables[size] = t
                size += 1
        count = _verify(
            codes,
            alive,
            starts,
            lengths,
            table_radius,
            query,
            q,
            radius,
            candidates,
            candidate_tables,
            size,
            out_query,
            out_row,
            out_distance,
            count,
        )
        if count < 0:
            return -1
    return count


@njit(cache=True, nogil=True)
def search_linear(
    codes: np.ndarray,
    alive: np.ndarray,
    size: int,
    queries: np.ndarray,
    radius: int,
    out_query: np.ndarray,
    out_row: np.ndarray,
    out_distance: np.ndarray,
) -> int:
    """Exhaustive search over the first ``size`` rows; same contract as search_tables."""
    count = 0
    capacity = out_row.shape[0]
    for q in range(queries.shape[0]):
        query = queries[q]
        for row in range(size):
            d = distance(codes, row, query)
            if d <= radius and alive[row]:
                if count == capacity:
                    return -1
                out_query[count] = q
                out_row[count] = row
                out_distance[count] = d
                count += 1
    return count
