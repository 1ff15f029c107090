"""Exact-value lookup: value -> ids, with add and remove."""

from __future__ import annotations


class ExactIndex:
    """Maps a value (lowercase hex) to the set of ids that hold it."""

    def __init__(self) -> None:
        self._ids_by_value: dict[str, set[int]] = {}

    def __len__(self) -> int:
        return sum(len(ids) for ids in self._ids_by_value.values())

    def add(self, item_id: int, value: str) -> None:
        self._ids_by_value.setdefault(value, set()).add(item_id)

    def remove(self, item_id: int, value: str) -> None:
        ids = self._ids_by_value.get(value)
        if ids is None:
            return
        ids.discard(item_id)
        if not ids:
            del self._ids_by_value[value]

    def search(self, value: str) -> set[int]:
        return set(self._ids_by_value.get(value, ()))
