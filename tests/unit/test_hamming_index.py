"""HammingIndex returns exactly what brute force returns, through adds, removes, merges,
saves and loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeguard.index import hamming
from safeguard.index.hamming import HammingIndex


def brute_force(
    codes: dict[int, np.ndarray], query: np.ndarray, radius: int
) -> list[tuple[int, int]]:
    found = []
    for item_id, code in codes.items():
        d = int(np.unpackbits(np.bitwise_xor(code, query)).sum())
        if d <= radius:
            found.append((item_id, d))
    return sorted(found, key=lambda hit: (hit[1], hit[0]))


def near(base: np.ndarray, flips: int, rng: np.random.Generator) -> np.ndarray:
    bits = np.unpackbits(base)
    bits[rng.choice(256, size=flips, replace=False)] ^= 1
    return np.packbits(bits)


@pytest.fixture
def small_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny buffers and tables so that examples cross every code path: the buffer,
    segments searched by their tables, and merges."""
    monkeypatch.setattr(hamming, "BUFFER_SIZE", 8)
    monkeypatch.setattr(hamming, "MIN_TABLE_ROWS", 16)
    monkeypatch.setattr(hamming, "_PROBE_COST_IN_ROWS", 0)  # always search by the tables


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    operations=st.lists(
        st.tuples(st.sampled_from(["add", "add_batch", "remove", "search"]), st.integers(0, 60)),
        min_size=1,
        max_size=40,
    ),
    radius=st.integers(0, 64),
)
def test_search_equals_brute_force(
    small_segments: None, seed: int, operations: list[tuple[str, int]], radius: int
) -> None:
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 256, (3, 32), dtype=np.uint8)
    index = HammingIndex()
    model: dict[int, np.ndarray] = {}
    for op, item_id in operations:
        centre = centres[item_id % 3]
        if op == "add":
            code = near(centre, int(rng.integers(0, 90)), rng)
            index.add(np.array([item_id]), code.reshape(1, 32))
            model[item_id] = code
        elif op == "add_batch":
            ids = np.arange(item_id * 100, item_id * 100 + 40)
            codes = np.stack([near(centre, int(rng.integers(0, 90)), rng) for _ in ids])
            index.add(ids, codes)
            model.update(zip(ids.tolist(), codes, strict=True))
        elif op == "remove":
            gone = [item_id, item_id * 100 + 3]
            index.remove(np.array(gone))
            for g in gone:
                model.pop(g, None)
        else:
            queries = np.stack([near(centre, int(rng.integers(0, 40)), rng), centres[0]])
            results = index.search(queries, radius)
            for query, result in zip(queries, results, strict=True):
                assert result == brute_force(model, query, radius)
        assert len(index) == len(model)


def test_large_segment_uses_its_tables_and_stays_exact() -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    codes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    planted = np.stack([near(codes[7], f, rng) for f in (0, 5, 17, 31, 32, 40)])
    all_codes = np.concatenate([codes, planted])
    ids = np.arange(len(all_codes), dtype=np.int64) * 3 + 1
    index = HammingIndex(all_codes, ids)
    assert index.segment_sizes == [len(all_codes)]
    model = dict(zip(ids.tolist(), all_codes, strict=True))
    queries = np.stack([codes[7], near(codes[7], 9, rng), rng.integers(0, 256, 32, dtype=np.uint8)])
    for radius in (0, 10, 31, 48):
        for query, result in zip(queries, index.search(queries, radius), strict=True):
            assert result == brute_force(model, query, radius)


def test_save_and_load_memory_mapped(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    codes = rng.integers(0, 256, (5000, 32), dtype=np.uint8)
    index = HammingIndex(codes, np.arange(5000))
    index.remove(np.array([10, 11]))
    index.add(np.array([9000]), codes[12:13])
    index.save(tmp_path / "pdq.index")
    loaded = HammingIndex.load(tmp_path / "pdq.index")
    assert len(loaded) == 4999
    assert isinstance(loaded._segments[0].codes, np.memmap)
    assert loaded.search(codes[10:13], 0) == [[], [], [(12, 0), (9000, 0)]]
    loaded.remove(np.array([12]))
    loaded.add(np.array([10]), codes[10:11])
    assert loaded.search(codes[10:13], 0) == [[(10, 0)], [], [(9000, 0)]]


def test_load_refuses_other_folders(tmp_path: Path) -> None:
    (tmp_path / "meta.json").write_text('{"format": "something-else"}')
    with pytest.raises(ValueError):
        HammingIndex.load(tmp_path)


def test_results_are_nearest_first() -> None:
    rng = np.random.default_rng(1)
    centre = rng.integers(0, 256, 32, dtype=np.uint8)
    codes = np.stack([near(centre, f, rng) for f in (30, 0, 10, 20)])
    index = HammingIndex(codes, np.array([1, 2, 3, 4]))
    assert index.search(centre.reshape(1, 32), 31)[0] == [(2, 0), (3, 10), (4, 20), (1, 30)]


def test_re_adding_an_id_replaces_its_code() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.integers(0, 256, (2, 32), dtype=np.uint8)
    index = HammingIndex(a.reshape(1, 32), np.array([7]))
    index.add(np.array([7]), b.reshape(1, 32))
    assert len(index) == 1 and 7 in index
    assert index.search(np.stack([a, b]), 0) == [[], [(7, 0)]]


def test_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError):
        HammingIndex(np.zeros((2, 31), dtype=np.uint8), np.array([1, 2]))
    with pytest.raises(ValueError):
        HammingIndex().add(np.array([1, 2]), np.zeros((1, 32), dtype=np.uint8))
