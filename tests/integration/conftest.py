"""Integration fixtures: a real server per database, sharing the database with the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DATABASES, fresh_database
from tests.integration.server import Server, environment, start_server

# Small caps so that the limit tests stay fast.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_IMAGE_PIXELS = 16_000_000


def serve(database_url: str, folder: Path) -> Iterator[Server]:
    """A real server on ``database_url`` with the small caps, stopped afterwards."""
    env = environment(
        folder / "data",
        database_url,
        SAFEGUARD_MAX_UPLOAD_BYTES=str(MAX_UPLOAD_BYTES),
        SAFEGUARD_MAX_IMAGE_PIXELS=str(MAX_IMAGE_PIXELS),
    )
    running = start_server(env)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    yield from serve(database_url, tmp_path)


@pytest.fixture(scope="module", params=DATABASES)
def shared_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One server (per database) for every test of a module whose tests change nothing
    another of them reads: a server start costs seconds, these tests milliseconds."""
    folder = tmp_path_factory.mktemp("shared-server")
    for url in fresh_database(request, request.param, folder):
        yield from serve(url, folder)
