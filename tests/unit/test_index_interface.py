"""Screening works with any index that keeps the CodeIndex contract."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Self

import numpy as np
import pytest

from safeguard.banks import service
from safeguard.banks.models import BankSpec, NewEntry
from safeguard.index.adapters import HexCodeIndex
from safeguard.index.base import CodeIndex
from safeguard.index.hamming import HammingIndex
from safeguard.screening.matcher import Matcher
from safeguard.screening.service import Requester, Screener
from safeguard.store.db import Database
from tests.unit.test_matcher_concurrency import flipped, random_pdq

WHO = Requester("tests", "lookup")


class ScanIndex:
    """The simplest index that keeps the contract: a dictionary scanned in full."""

    def __init__(self) -> None:
        self.codes: dict[int, int] = {}

    def add(self, ids: np.ndarray, codes: np.ndarray) -> None:
        for item_id, code in zip(ids.tolist(), codes, strict=True):
            self.codes[item_id] = int.from_bytes(bytes(code), "big")

    def remove(self, ids: np.ndarray) -> None:
        for item_id in ids.tolist():
            self.codes.pop(item_id, None)

    def search(self, queries: np.ndarray, max_distance: int) -> list[list[tuple[int, int]]]:
        found = []
        for query in queries:
            number = int.from_bytes(bytes(query), "big")
            hits = [(i, (number ^ code).bit_count()) for i, code in self.codes.items()]
            found.append(sorted((d, i) for i, d in hits if d <= max_distance))
        return [[(i, d) for d, i in hits] for hits in found]

    def __len__(self) -> int:
        return len(self.codes)

    def save(self, path: str | os.PathLike[str]) -> None:
        np.save(Path(path).with_suffix(".npy"), np.array(list(self.codes.items()), dtype=object))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        index = cls()
        saved = np.load(Path(path).with_suffix(".npy"), allow_pickle=True)
        index.codes = {int(i): int(code) for i, code in saved.tolist()}
        return index


@pytest.mark.parametrize("factory", [HammingIndex, ScanIndex])
def test_screening_is_the_same_on_any_index(db: Database, factory: type[CodeIndex]) -> None:
    rng = np.random.default_rng(5)
    values = [random_pdq(rng) for _ in range(20)]
    with db.session() as s:
        bank = service.create_bank(s, BankSpec("known", thresholds={"pdq": 8}))
        service.add_entries(s, bank, [NewEntry("pdq", v) for v in values[:10]])
    matcher = Matcher(lambda kind: HexCodeIndex(factory) if kind.max_threshold else None)
    screener = Screener(db, 50, matcher)
    decisions = [
        screener.lookup({"pdq": flipped(v, bits)}, WHO).decision.value
        for v in values
        for bits in (0, 8, 9)
    ]
    assert decisions == ["block", "block", "allow"] * 10 + ["allow"] * 30
    with db.session() as s:
        service.add_entries(s, service.get_bank(s, "known"), [NewEntry("pdq", values[15])])
    assert screener.lookup({"pdq": values[15]}, WHO).decision.value == "block"
    assert screener.matcher.size() == {"pdq": 11, "vpdq": 0}


@pytest.mark.parametrize("factory", [HammingIndex, ScanIndex])
def test_the_contract(factory: type[CodeIndex], tmp_path: Path) -> None:
    """Add, replace, remove, search nearest first, and a save/load round trip."""
    codes = np.zeros((3, 32), dtype=np.uint8)
    codes[1, 0] = 0b1
    codes[2, 0] = 0b111
    index = factory()
    index.add(np.array([1, 2, 3]), codes)
    index.add(np.array([3]), codes[1:2])  # replaces 3's code
    index.remove(np.array([2, 99]))
    assert len(index) == 2
    query = np.zeros((1, 32), dtype=np.uint8)
    assert index.search(query, 1) == [[(1, 0), (3, 1)]]
    index.save(tmp_path / "saved")
    assert factory.load(tmp_path / "saved").search(query, 0) == [[(1, 0)]]
