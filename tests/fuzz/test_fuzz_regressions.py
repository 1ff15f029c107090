"""Every seed and every input that once crashed a harness (``fuzz/regressions/NAME/``) goes
through that harness again, in process: each ends in a typed error or none."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import pytest

from fuzz import CORPUS, HARNESSES, REGRESSIONS

INPUTS = sorted(
    path for folder in (CORPUS, REGRESSIONS) for path in folder.glob("*/*") if path.is_file()
)


def test_every_input_belongs_to_a_harness() -> None:
    assert {path.parent.name for path in INPUTS} <= set(HARNESSES)
    assert {path.parent.name for path in INPUTS if path.is_relative_to(CORPUS)} == set(HARNESSES)


@pytest.mark.parametrize("path", INPUTS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_input_ends_in_a_typed_error_or_none(path: Path) -> None:
    harness = import_module(f"fuzz.{path.parent.name}")
    harness.fuzz_one(path.read_bytes())
