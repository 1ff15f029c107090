"""A bank import killed midway (the server, or the CLI, by SIGKILL) leaves nothing visible:
the bank holds no entry, no worker matches any, the export is empty, and importing the
same list again adds all of it, as docs/api.md ("The CSV list format") promises. The kill
comes while the list is being staged, once thousands of its rows are (out of sight)."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import create_engine, text

from tests.integration.server import SAFEGUARD, Server, environment, start_server

ROWS = 60_000
STAGED = 10_000  # staged rows to wait for before the kill: well under ROWS
BANK = "imported"


def env_for(database: str, folder: Path) -> dict[str, str]:
    return environment(folder / "data", database, SAFEGUARD_MAX_UPLOAD_BYTES=str(64 << 20))


def pdq_list(rows: int, seed: int) -> bytes:
    """A CSV list of ``rows`` random PDQ values (each sets about 128 of 256 bits)."""
    values = np.random.default_rng(seed).integers(0, 256, (rows, 32), dtype=np.uint8)
    return b"".join(b"pdq," + bytes(row).hex().encode() + b"\n" for row in values)


def staged_rows(database: str) -> int:
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM staged_entries")).scalar_one())
    finally:
        engine.dispose()


def wait_for_staging(database: str, running: threading.Thread | subprocess.Popen[str]) -> None:
    """Poll until the import has staged ``STAGED`` rows."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if staged_rows(database) >= STAGED:
            return
        alive = (
            running.is_alive()
            if isinstance(running, threading.Thread)
            else (running.poll() is None)
        )
        assert alive, "the import ended before staging was seen"
        time.sleep(0.05)
    raise AssertionError(f"fewer than {STAGED} rows staged within 120 s")


def assert_nothing_then_all(server: Server, body: bytes) -> None:
    """The bank shows nothing of the killed import, its worker's index neither; the
    list imported again is added whole."""
    assert server.client.get(f"/v1/banks/{BANK}").json()["entries"] == 0
    assert server.client.get("/v1/ready").json()["index"].get("pdq", 0) == 0
    assert server.client.get(f"/v1/banks/{BANK}/export").text.splitlines()[1:] == []
    first = body.splitlines()[0].split(b",")[1].decode()
    lookup = server.client.post("/v1/lookup", json={"signals": {"pdq": first}})
    assert lookup.json()["decision"] == "allow"
    again = server.client.post(f"/v1/banks/{BANK}/import", content=body, timeout=300)
    assert again.json() == {"added": ROWS, "already_present": 0}
    assert server.client.get(f"/v1/banks/{BANK}").json()["entries"] == ROWS
    assert server.client.get("/v1/ready").json()["index"]["pdq"] == ROWS
    lookup = server.client.post("/v1/lookup", json={"signals": {"pdq": first}})
    assert lookup.json()["decision"] == "block"


def test_server_killed_during_an_api_import(database: str, tmp_path: Path) -> None:
    env = env_for(database, tmp_path)
    server = start_server(env)
    body = pdq_list(ROWS, 11)
    assert server.client.post("/v1/banks", json={"name": BANK}).status_code == 201
    outcome: list[BaseException | httpx.Response] = []

    def run_import() -> None:
        try:
            outcome.append(
                httpx.post(
                    f"{server.base_url}/v1/banks/{BANK}/import",
                    content=body,
                    headers=server.client.headers,
                    timeout=300,
                )
            )
        except httpx.TransportError as exc:
            outcome.append(exc)

    importer = threading.Thread(target=run_import)
    importer.start()
    wait_for_staging(database, importer)
    server.process.kill()
    importer.join(timeout=30)
    server.stop()
    assert isinstance(outcome[0], httpx.TransportError), "the import was answered"
    restarted = start_server(env, key=server.key)
    try:
        assert_nothing_then_all(restarted, body)
    finally:
        restarted.stop()


def test_cli_killed_during_an_import(database: str, tmp_path: Path) -> None:
    env = env_for(database, tmp_path)
    server = start_server(env)
    body = pdq_list(ROWS, 12)
    listing = tmp_path / "list.csv"
    listing.write_bytes(body)
    assert server.client.post("/v1/banks", json={"name": BANK}).status_code == 201
    try:
        importer = subprocess.Popen(
            [SAFEGUARD, "bank", "import", BANK, str(listing)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        wait_for_staging(database, importer)
        importer.kill()
        assert importer.wait(timeout=30) == -9
        assert_nothing_then_all(server, body)
    finally:
        server.stop()
