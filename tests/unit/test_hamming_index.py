"""HammingIndex returns exactly what brute force returns, through adds and removes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.index.hamming import HammingIndex


def brute_force(
    codes: dict[int, np.ndarray], query: np.ndarray, radius: int
) -> set[tuple[int, int]]:
    found = set()
    for item_id, code in codes.items():
        d = int(np.unpackbits(np.bitwise_xor(code, query)).sum())
        if d <= radius:
            found.add((item_id, d))
    return found


def near(base: np.ndarray, flips: int, rng: np.random.Generator) -> np.ndarray:
    bits = np.unpackbits(base)
    bits[rng.choice(256, size=flips, replace=False)] ^= 1
    return np.packbits(bits)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    operations=st.lists(
        st.tuples(st.sampled_from(["add", "remove", "search"]), st.integers(0, 40)),
        min_size=1,
        max_size=30,
    ),
    radius=st.integers(0, 64),
)
def test_search_equals_brute_force(
    seed: int, operations: list[tuple[str, int]], radius: int
) -> None:
    rng = np.random.default_rng(seed)
    centre = rng.integers(0, 256, 32, dtype=np.uint8)
    index = HammingIndex()
    model: dict[int, np.ndarray] = {}
    for op, item_id in operations:
        if op == "add":
            code = near(centre, int(rng.integers(0, 80)), rng)
            index.add(np.array([item_id]), code.reshape(1, 32))
            model[item_id] = code
        elif op == "remove":
            index.remove(np.array([item_id]))
            model.pop(item_id, None)
        else:
            query = near(centre, int(rng.integers(0, 40)), rng)
            assert set(index.search(query.reshape(1, 32), radius)[0]) == brute_force(
                model, query, radius
            )
        assert len(index) == len(model)


def test_results_are_nearest_first() -> None:
    rng = np.random.default_rng(1)
    centre = rng.integers(0, 256, 32, dtype=np.uint8)
    codes = np.stack([near(centre, f, rng) for f in (30, 0, 10, 20)])
    index = HammingIndex(codes, np.array([1, 2, 3, 4]))
    assert index.search(centre.reshape(1, 32), 31)[0] == [(2, 0), (3, 10), (4, 20), (1, 30)]


def test_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError):
        HammingIndex(np.zeros((2, 31), dtype=np.uint8), np.array([1, 2]))
    with pytest.raises(ValueError):
        HammingIndex().add(np.array([1, 2]), np.zeros((1, 32), dtype=np.uint8))
