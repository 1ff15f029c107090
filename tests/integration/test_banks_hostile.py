"""Bank management under hostile or heavy use: values that would disable screening,
input the database cannot hold, and big imports and exports while the service answers."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import postgres_database
from tests.integration.server import Server, environment, start_server

PROBLEM = "application/problem+json"
PDQ = "d8f8f0cec4f4a84f0637022a078f67f0b36e2ee5b6621e1d33e6239c4e9c9b22"
MD5 = "0123456789abcdef0123456789abcdef"
DEGENERATE = ("0" * 64, "f" * 64)
BIG_IMPORT_ROWS = 100_000
# "Did it answer at all", not a performance figure: staging takes short transactions, and
# the final publish holds SQLite's one write lock for a few seconds, which writes wait out.
PROBE_TIMEOUT = 20.0
MAX_PROBES = 400


def assert_problem(response: httpx.Response, status: int, slug: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/" + slug)
    return str(response.json()["detail"])


def md5_list(rows: int, seed: int) -> bytes:
    """A CSV list of ``rows`` random MD5 values."""
    values = np.random.default_rng(seed).integers(0, 256, (rows, 16), dtype=np.uint8)
    return b"".join(b"md5," + bytes(row).hex().encode() + b"\n" for row in values)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One server per database for this module (each test uses its own banks), taking
    lists of a few megabytes."""
    data = tmp_path_factory.mktemp("banks-hostile") / "data"
    if request.param == "sqlite":
        yield from _serve(data, f"sqlite:///{data / 'safeguard.db'}")
    else:
        for url in postgres_database():
            yield from _serve(data, url)


def _serve(data: Path, database_url: str) -> Iterator[Server]:
    running = start_server(
        environment(data, database_url, SAFEGUARD_MAX_UPLOAD_BYTES=str(16 * 1024 * 1024))
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def sqlite_file(server: Server) -> Path:
    """The SQLite database of ``server``; PostgreSQL has no single writer to test."""
    url = make_url(server.cli.env["SAFEGUARD_DATABASE_URL"])
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite allows one writer at a time; this is about its write lock")
    return Path(str(url.database))


def test_thresholds_above_the_safe_maximum_are_refused(shared_server: Server) -> None:
    server = shared_server
    for threshold in (45, 128):
        response = server.client.post(
            "/v1/banks", json={"name": "wide", "kind": "safelist", "pdq_threshold": threshold}
        )
        assert "pdq_threshold" in assert_problem(response, 422, "validation-error")
    result = server.cli.run("bank", "create", "wide", "--pdq-threshold", "128")
    assert result.returncode == 2, result.stdout
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("safeguard: ") and "--pdq-threshold" in line
    assert_problem(server.client.get("/v1/banks/wide"), 404, "not-found")
    created = server.client.post("/v1/banks", json={"name": "edge", "pdq_threshold": 44})
    assert created.status_code == 201 and created.json()["pdq_threshold"] == 44


def test_degenerate_pdq_values_are_refused_as_entries(shared_server: Server) -> None:
    server = shared_server
    for kind in ("list", "safelist"):
        bank = {"name": f"degenerate-{kind}", "kind": kind}
        assert server.client.post("/v1/banks", json=bank).status_code == 201
        for value in DEGENERATE:
            response = server.client.post(
                f"/v1/banks/{bank['name']}/entries", json={"signal_type": "pdq", "value": value}
            )
            assert "bits set" in assert_problem(response, 422, "invalid-signal")
            listing = f"md5,{MD5}\npdq,{PDQ}\npdq,{value.upper()},case-1\n"
            response = server.client.post(f"/v1/banks/{bank['name']}/import", content=listing)
            assert assert_problem(response, 422, "invalid-list").startswith("line 3:")
        assert server.client.get(f"/v1/banks/{bank['name']}").json()["entries"] == 0


def test_entries_of_low_quality_are_refused(shared_server: Server) -> None:
    server = shared_server
    assert server.client.post("/v1/banks", json={"name": "q"}).status_code == 201
    entry = {"signal_type": "pdq", "value": PDQ}
    low = server.client.post("/v1/banks/q/entries", json={**entry, "quality": 49})
    assert "below the minimum of 50" in assert_problem(low, 422, "invalid-signal")
    exact = server.client.post(
        "/v1/banks/q/entries", json={"signal_type": "md5", "value": MD5, "quality": 90}
    )
    assert_problem(exact, 422, "invalid-signal")
    assert (
        server.client.post("/v1/banks/q/entries", json={**entry, "quality": 50}).status_code == 201
    )


def test_values_the_database_cannot_hold_answer_422(shared_server: Server) -> None:
    server = shared_server
    assert server.client.post("/v1/banks", json={"name": "b"}).status_code == 201
    huge = "99999999999999999999"
    assert_problem(server.client.get(f"/v1/banks/b/entries?after={huge}"), 422, "validation-error")
    patch = server.client.patch(f"/v1/banks/b/entries/{huge}", json={"enabled": False})
    assert_problem(patch, 422, "validation-error")
    assert_problem(server.client.delete(f"/v1/banks/b/entries/{huge}"), 422, "validation-error")
    for field, value in (("external_id", "a\x00b"), ("source", "\x00"), ("labels", ["x\x00"])):
        body = {"signal_type": "md5", "value": MD5, field: value}
        response = server.client.post("/v1/banks/b/entries", json=body)
        assert field in assert_problem(response, 422, "validation-error")
    listing = f"md5,{MD5},case\x00-1\n"
    response = server.client.post("/v1/banks/b/import", content=listing)
    assert "line 1: external_id" in assert_problem(response, 422, "invalid-list")
    bad_name = server.client.post("/v1/banks", json={"name": "n\x00"})
    assert "name" in assert_problem(bad_name, 422, "validation-error")
    assert_problem(server.client.get("/v1/banks/n%00"), 422, "invalid-name")
    result = server.cli.run("bank", "disable", "b", huge)
    assert result.returncode == 2 and result.stderr.startswith("safeguard: ")
    assert server.client.get("/v1/banks/b").json()["entries"] == 0
    assert server.client.get("/v1/health").status_code == 200


@pytest.mark.usefixtures("sqlite_file")
def test_the_service_answers_during_a_big_import(server: Server) -> None:
    assert server.client.post("/v1/banks", json={"name": "imported"}).status_code == 201
    body = md5_list(BIG_IMPORT_ROWS, 1)
    outcome: dict[str, httpx.Response] = {}

    def run_import() -> None:
        outcome["import"] = server.client.post("/v1/banks/imported/import", content=body)

    importer = threading.Thread(target=run_import)
    probes: list[int | str] = []
    with httpx.Client(base_url=server.base_url, timeout=PROBE_TIMEOUT) as probe:
        importer.start()
        while importer.is_alive() and len(probes) < MAX_PROBES:
            try:
                probes.append(probe.get("/v1/health").status_code)
            except httpx.TimeoutException:
                probes.append("no answer")
            time.sleep(0.05)
        importer.join()
    assert outcome["import"].status_code == 200, outcome["import"].text
    assert outcome["import"].json() == {"added": BIG_IMPORT_ROWS, "already_present": 0}
    assert probes and all(status == 200 for status in probes), probes
    assert server.client.get("/v1/banks/imported").json()["entries"] == BIG_IMPORT_ROWS


def test_an_export_takes_no_write_lock(server: Server, sqlite_file: Path) -> None:
    rows = 10_000
    assert server.client.post("/v1/banks", json={"name": "exported"}).status_code == 201
    imported = server.client.post("/v1/banks/exported/import", content=md5_list(rows, 2))
    assert imported.status_code == 200
    with httpx.Client(
        base_url=server.base_url, headers=server.client.headers, timeout=PROBE_TIMEOUT
    ) as quick:
        # A writer holds SQLite's write lock: the export still answers, in full.
        writer = sqlite3.connect(sqlite_file, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")
            exported = quick.get("/v1/banks/exported/export")
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        assert exported.status_code == 200 and exported.text.count("\n") == rows + 1
        # An export read slowly: entries can be added meanwhile.
        with quick.stream("GET", "/v1/banks/exported/export") as stream:
            chunks = stream.iter_bytes(64 * 1024)
            received = len(next(chunks))
            time.sleep(0.5)  # a slow reader
            added = quick.post(
                "/v1/banks/exported/entries",
                json={"signal_type": "md5", "value": os.urandom(16).hex()},
            )
            assert added.status_code == 201, added.text
            received += sum(len(chunk) for chunk in chunks)
    assert received >= len(exported.content)
