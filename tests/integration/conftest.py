"""Integration fixtures: a real server per database, sharing the database with the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.server import Server, environment, start_server

# Small caps so that the limit tests stay fast.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_IMAGE_PIXELS = 16_000_000


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    env = environment(
        tmp_path / "data",
        database_url,
        SAFEGUARD_MAX_UPLOAD_BYTES=str(MAX_UPLOAD_BYTES),
        SAFEGUARD_MAX_IMAGE_PIXELS=str(MAX_IMAGE_PIXELS),
    )
    running = start_server(env)
    try:
        yield running
    finally:
        running.stop()
