"""Fault-test fixtures: a PostgreSQL cluster of the tests' own (which they may stop), and
a fresh database on it or in SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.postgres import Cluster, postgres_bin, throwaway_cluster


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL server shared by the tests that do not stop it."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL's binaries are not installed (apt-get install postgresql)")
    with throwaway_cluster(bin_dir) as running:
        yield running


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new database: a SQLite file, or a database on ``cluster``."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'safeguard.db'}"
    cluster: Cluster = request.getfixturevalue("cluster")
    return cluster.create_database()
