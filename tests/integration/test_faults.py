"""While the database cannot serve, clients get 503 with Retry-After, and health says so
(issue #16); when it is back, service resumes without a restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL, jpeg_bytes, postgres_database, synthetic_photo
from tests.integration.server import Server, environment, start_server
from tests.integration.test_api_errors import assert_problem


def assert_unavailable(server: Server) -> None:
    photo = jpeg_bytes(synthetic_photo(7))
    for probe in ("/v1/health", "/v1/ready"):
        health = server.client.get(probe)
        assert_problem(health, 503, "database-unavailable")
        assert int(health.headers["retry-after"]) > 0
    for response in (
        server.screen(photo),
        server.client.post("/v1/lookup", json={"signals": {"md5": "0" * 32}}),
    ):
        assert_problem(response, 503, "database-unavailable")
        assert int(response.headers["retry-after"]) > 0


def test_read_only_sqlite_is_unavailable_not_ok(tmp_path: Path) -> None:
    """A database that cannot be written cannot record screenings: health must not say ok."""
    path = tmp_path / "data" / "safeguard.db"
    writable = environment(tmp_path / "data", f"sqlite:///{path}")
    first = start_server(writable)  # creates the database and an API key
    first.stop()
    read_only = dict(writable, SAFEGUARD_DATABASE_URL=f"sqlite:///file:{path}?mode=ro&uri=true")
    server = start_server(read_only, key=first.key, healthy=False)
    try:
        assert_unavailable(server)
    finally:
        server.stop()


@pytest.fixture
def postgres_server(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    for url in postgres_database():
        server = start_server(environment(tmp_path / "data", url))
        try:
            yield server, str(make_url(url).database)
        finally:
            server.stop()


def test_postgres_outage_answers_503_then_recovers(
    postgres_server: tuple[Server, str],
) -> None:
    server, name = postgres_server
    photo = jpeg_bytes(synthetic_photo(8))
    assert server.screen(photo).status_code == 200
    admin = create_engine(str(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
        assert_unavailable(server)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()
    assert server.client.get("/v1/health").status_code == 200
    assert server.client.get("/v1/ready").json()["status"] == "ready"
    assert server.screen(photo).status_code == 200
