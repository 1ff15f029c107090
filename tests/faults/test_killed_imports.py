"""A bank import killed midway (the server, or the CLI, by SIGKILL) leaves whole batches
of 5,000 entries, each matched by every worker, and importing the same list again adds
exactly the rest: what docs/api.md ("The CSV list format") promises. An import is not one
transaction, so that SQLite keeps screening during a long one."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from tests.integration.server import SAFEGUARD, Server, environment, start_server

ROWS = 30_000  # six batches: enough to kill between two (200,000 take minutes here)
BATCH = 5_000  # banks.service._BATCH, as docs/api.md states it
BANK = "imported"


def env_for(database: str, folder: Path) -> dict[str, str]:
    return environment(folder / "data", database, SAFEGUARD_MAX_UPLOAD_BYTES=str(64 << 20))


def pdq_list(rows: int, seed: int) -> bytes:
    """A CSV list of ``rows`` random PDQ values (each sets about 128 of 256 bits)."""
    values = np.random.default_rng(seed).integers(0, 256, (rows, 32), dtype=np.uint8)
    return b"".join(b"pdq," + bytes(row).hex().encode() + b"\n" for row in values)


def stored(server: Server) -> int:
    return int(server.client.get(f"/v1/banks/{BANK}").json()["entries"])


def wait_for_a_batch(server: Server, running: threading.Thread | subprocess.Popen[str]) -> int:
    """Poll until the import has committed at least one batch; that count."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        count = stored(server)
        if count >= BATCH:
            return count
        alive = (
            running.is_alive()
            if isinstance(running, threading.Thread)
            else (running.poll() is None)
        )
        assert alive, "the import ended before a batch was seen"
        time.sleep(0.02)
    raise AssertionError("no batch committed within 120 s")


def assert_whole_batches_then_resume(server: Server, body: bytes) -> None:
    """The bank holds the list's first whole batches, all of them in the worker's
    index; importing the list again adds the rest and nothing twice."""
    count = stored(server)
    assert 0 < count < ROWS and count % BATCH == 0, count
    exported = server.client.get(f"/v1/banks/{BANK}/export").text.splitlines()[1:]
    values = {line.split(",")[1] for line in exported}
    listed = [line.split(b",")[1].decode() for line in body.splitlines()]
    assert values == set(listed[:count])
    assert server.client.get("/v1/ready").json()["index"]["pdq"] == count
    for value, decision in ((listed[count - 1], "block"), (listed[count], "allow")):
        lookup = server.client.post("/v1/lookup", json={"signals": {"pdq": value}})
        assert lookup.json()["decision"] == decision
    again = server.client.post(f"/v1/banks/{BANK}/import", content=body, timeout=300)
    assert again.json() == {"added": ROWS - count, "already_present": count}
    assert stored(server) == ROWS


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
    seen = wait_for_a_batch(server, importer)
    server.process.kill()
    importer.join(timeout=30)
    server.stop()
    assert isinstance(outcome[0], httpx.TransportError), "the import was answered"
    restarted = start_server(env, key=server.key)
    try:
        assert stored(restarted) >= seen
        assert_whole_batches_then_resume(restarted, body)
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
        seen = wait_for_a_batch(server, importer)
        importer.kill()
        assert importer.wait(timeout=30) == -9
        assert stored(server) >= seen
        assert_whole_batches_then_resume(server, body)
    finally:
        server.stop()
