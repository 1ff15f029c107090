"""Each harness runs under libFuzzer for a few seconds from its seed corpus: a crash, a
hang or memory over the cap fails the test, naming the input kept in ``fuzz/crashes/``
(``make fuzz`` runs them for minutes)."""

from __future__ import annotations

import pytest

from fuzz import HARNESSES
from fuzz.run import run

SMOKE_SECONDS = 5
"""Each harness's share of ``make test``: with start-up, under a minute for all."""


@pytest.mark.parametrize("name", HARNESSES)
def test_harness_finds_no_crash(name: str) -> None:
    outcome = run(name, SMOKE_SECONDS)
    assert not outcome.crashed, outcome.report()
