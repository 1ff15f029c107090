"""Load test: two ``safeguard serve`` workers on one PostgreSQL, screened by Locust users
while bank entries are added and disabled, timing how long each change takes to show in
every worker's answers.

Checks (the exit status is 1 when one fails): no request failed; every change was visible
in both workers within 2 s; every acknowledged screening is in the audit log.

    make load
    .venv/bin/python benchmarks/load.py --seconds 60 --users 8
    .venv/bin/python benchmarks/load.py --database-url postgresql+psycopg://user@host/postgres

``--database-url`` names an empty PostgreSQL database, which the run fills (a ``load``
bank, the screenings). Without it the script runs itself again under
scripts/with-postgres, which makes a throwaway server and removes it afterwards.
The workers, the database and Locust share one machine: see docs/benchmarks.md.
"""

from __future__ import annotations

from locust import FastHttpUser, constant, task
from locust.env import Environment

# isort: split
# (Locust's import patches the standard library for gevent: it goes first.)
import argparse
import io
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import gevent
import httpx
import numpy as np
from PIL import Image
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
SAFEGUARD = str(Path(sys.executable).with_name("safeguard"))
BANK = "load"
VISIBLE_WITHIN = 2.0  # seconds: the bound for a change to reach every worker
GIVE_UP = 10.0  # seconds after which a change that never showed counts as lost
POLL = 0.01  # seconds between visibility polls
REEXEC = "SAFEGUARD_LOAD_UNDER_WITH_POSTGRES"


@dataclass
class Shared:
    """What the users read (workers, key, photos) and record (ids, visibility delays)."""

    workers: list[str] = field(default_factory=list)
    key: str = ""
    photos: list[bytes] = field(default_factory=list)
    pdqs: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    lost_changes: int = 0


SHARED = Shared()


class Screener(FastHttpUser):
    """Screens photos of the pool (mostly uploads, some hash lookups) without pause."""

    abstract = True
    wait_time = constant(0)

    def on_start(self) -> None:
        self.client.auth_header = f"Bearer {SHARED.key}"

    @task(8)
    def screen(self) -> None:
        photo = random.choice(SHARED.photos)
        self._acknowledge("/v1/screen", data=photo)

    @task(2)
    def lookup(self) -> None:
        self._acknowledge("/v1/lookup", json={"signals": {"pdq": random.choice(SHARED.pdqs)}})

    def _acknowledge(
        self, path: str, data: bytes | None = None, json: dict[str, object] | None = None
    ) -> None:
        # Locust annotates data as str, but sends bytes as they are.
        sent = self.client.post(path, data=data, json=json, catch_response=True)  # type: ignore[arg-type]
        with sent as response:
            if response.status_code == 200 and response.json().get("screening_id"):
                SHARED.acknowledged.append(response.json()["screening_id"])
            else:
                response.failure(f"status {response.status_code}")


class BankChanger(FastHttpUser):
    """Adds a PDQ entry through the first worker and disables it again, each time polling
    every worker until its lookups answer accordingly."""

    abstract = True
    fixed_count = 1
    wait_time = constant(0.2)

    def on_start(self) -> None:
        self.client.auth_header = f"Bearer {SHARED.key}"

    @task
    def change(self) -> None:
        value = random_pdq(np.random.default_rng())
        entry = {"signal_type": "pdq", "value": value}
        with self.client.post(
            f"/v1/banks/{BANK}/entries", json=entry, name="add entry", catch_response=True
        ) as added:
            if added.status_code != 201:
                added.failure(f"status {added.status_code}")
                return
            entry_id = added.json()["id"]
        self._until_every_worker_answers(value, "block")
        path = f"/v1/banks/{BANK}/entries/{entry_id}"
        self.client.request("PATCH", path, json={"enabled": False}, name="disable entry")
        self._until_every_worker_answers(value, "allow")

    def _until_every_worker_answers(self, value: str, decision: str) -> None:
        changed = time.monotonic()
        for worker in SHARED.workers:
            while True:
                with self.client.post(
                    f"{worker}/v1/lookup",
                    json={"signals": {"pdq": value}},
                    name="lookup until changed",
                    catch_response=True,
                ) as response:
                    answer = response.json() if response.status_code == 200 else {}
                    if answer.get("screening_id"):
                        SHARED.acknowledged.append(answer["screening_id"])
                    else:
                        response.failure(f"status {response.status_code}")
                waited = time.monotonic() - changed
                if answer.get("decision") == decision:
                    break
                if waited > GIVE_UP:
                    SHARED.lost_changes += 1
                    return
                gevent.sleep(POLL)
        SHARED.delays.append(time.monotonic() - changed)


def random_pdq(rng: np.random.Generator) -> str:
    """A random 256-bit value: about 128 bits set, far from every other such value."""
    return bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex()


def photo_pool(count: int) -> list[bytes]:
    """JPEGs of smooth random colour fields (640 x 480), made once."""
    rng = np.random.default_rng(7)
    pool = []
    for _ in range(count):
        small = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
        image = Image.fromarray(small).resize((640, 480), Image.Resampling.BICUBIC)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=88)
        pool.append(buffer.getvalue())
    return pool


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def workers(database_url: str, folder: Path, count: int) -> Iterator[tuple[list[str], str]]:
    """``count`` workers on the database (each with its own data folder), and a key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEGUARD_")}
    env.update(
        SAFEGUARD_DATABASE_URL=database_url,
        SAFEGUARD_DATA_DIR=str(folder / "cli"),
        SAFEGUARD_KEY_REQUESTS_PER_SECOND="0",  # one key for every user: no rate limit
    )
    created = subprocess.run(
        [SAFEGUARD, "apikey", "create", "load", "--scope", "screen", "--scope", "banks"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    processes, urls = [], []
    try:
        for number in range(count):
            port = free_port()
            with (folder / f"worker-{number}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [SAFEGUARD, "serve", "--host", "127.0.0.1", "--port", str(port)],
                        env=dict(env, SAFEGUARD_DATA_DIR=str(folder / f"worker-{number}")),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            wait_ready(url)
        yield urls, key
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/ready", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"worker {url} not ready within 120 s")


def fill_bank(url: str, key: str, entries: int, photos: list[bytes]) -> list[str]:
    """The bank: ``entries`` random PDQ values and the PDQ of every eighth photo (so
    some screenings block); the PDQ of every photo, from screening each once."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=300) as c:
        c.post("/v1/banks", json={"name": BANK}).raise_for_status()
        pdqs = [c.post("/v1/screen", content=p).json()["signals"]["pdq"] for p in photos]
        rng = np.random.default_rng(1)
        values = [random_pdq(rng) for _ in range(entries)] + pdqs[::8]
        listing = "".join(f"pdq,{value}\n" for value in values)
        c.post(f"/v1/banks/{BANK}/import", content=listing).raise_for_status()
    return pdqs


def in_audit_log(database_url: str, ids: list[str]) -> int:
    """How many of ``ids`` the screenings table holds."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = set(connection.execute(text("SELECT id FROM screenings")).scalars())
    finally:
        engine.dispose()
    return len(set(ids) & stored)


def run_locust(users: int, seconds: float) -> Environment:
    classes: list[type[FastHttpUser]] = [
        type(f"ScreenerOfWorker{i}", (Screener,), {"host": url})
        for i, url in enumerate(SHARED.workers)
    ]
    changer = type("BankChangerThroughWorker0", (BankChanger,), {"host": SHARED.workers[0]})
    env = Environment(user_classes=[*classes, changer])
    runner = env.create_local_runner()
    runner.start(users + 1, spawn_rate=users + 1)
    gevent.sleep(seconds)
    runner.quit()
    return env


def report(env: Environment, seconds: float, audited: int) -> dict[str, object]:
    stats = env.stats
    endpoints = {
        name: {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "per_second": round(entry.num_requests / seconds, 1),
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p99_ms": entry.get_response_time_percentile(0.99),
        }
        for (name, _), entry in sorted(stats.entries.items())
    }
    delays = sorted(SHARED.delays)
    return {
        "seconds": round(seconds, 1),
        "requests": stats.total.num_requests,
        "errors": stats.total.num_failures,
        "error_kinds": sorted(str(e.error) for e in stats.errors.values()),
        "per_second": round(stats.total.num_requests / seconds, 1),
        "endpoints": endpoints,
        "changes": len(delays),
        "changes_never_visible": SHARED.lost_changes,
        "visibility_p50_s": round(statistics.median(delays), 3) if delays else None,
        "visibility_p99_s": round(delays[int(0.99 * (len(delays) - 1))], 3) if delays else None,
        "visibility_max_s": round(delays[-1], 3) if delays else None,
        "acknowledged_screenings": len(SHARED.acknowledged),
        "in_audit_log": audited,
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
    }


def failed_checks(result: dict[str, object]) -> list[str]:
    failures = []
    if not result["requests"]:
        failures.append("no request was made")
    if result["errors"]:
        failures.append(f"{result['errors']} requests failed")
    if result["changes_never_visible"] or not result["changes"]:
        failures.append("a change never reached every worker (or none was made)")
    elif float(str(result["visibility_max_s"])) > VISIBLE_WITHIN:
        failures.append(f"a change took over {VISIBLE_WITHIN} s to reach every worker")
    if result["in_audit_log"] != result["acknowledged_screenings"]:
        failures.append("acknowledged screenings are missing from the audit log")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database (see above)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--users", type=int, default=8, help="screening users (both workers)")
    parser.add_argument("--entries", type=int, default=5_000, help="PDQ entries in the bank")
    parser.add_argument("--photos", type=int, default=64, help="distinct photos screened")
    args = parser.parse_args()
    url = args.database_url
    if url is None and os.environ.get(REEXEC):
        url = os.environ.get("SAFEGUARD_TEST_POSTGRES_URL")  # set by scripts/with-postgres
        if url is None:
            parser.error("no PostgreSQL: install its binaries or pass --database-url")
    if url is None:
        os.environ[REEXEC] = "1"
        os.environ.pop("SAFEGUARD_TEST_POSTGRES_URL", None)  # a throwaway one, always
        script = str(ROOT / "scripts" / "with-postgres")
        os.execv(script, [script, sys.executable, __file__, *sys.argv[1:]])
    SHARED.photos = photo_pool(args.photos)
    with tempfile.TemporaryDirectory() as folder:
        with workers(url, Path(folder), 2) as (SHARED.workers, SHARED.key):
            SHARED.pdqs = fill_bank(SHARED.workers[0], SHARED.key, args.entries, SHARED.photos)
            for worker in SHARED.workers:
                wait_ready(worker)  # each has caught up with the import
            started = time.monotonic()
            env = run_locust(args.users, args.seconds)
            elapsed = time.monotonic() - started
        result = report(env, elapsed, in_audit_log(url, SHARED.acknowledged))
    failures = failed_checks(result)
    print(json.dumps(result, indent=2))
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
