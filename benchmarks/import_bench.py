"""Bank imports: a CSV list of random PDQ values through ``banks.service.import_list``.

    .venv/bin/python benchmarks/import_bench.py --rows 200000 \
        --postgres postgresql+psycopg://postgres@127.0.0.1:55433/postgres

On each database (a new SQLite file; with ``--postgres``, a new database on that server,
dropped afterwards) it migrates, creates a bank, imports the list into it, then imports
the same list again (every value already present), and prints seconds and rows/s of both.
``--profile`` prints the functions that took the most time in the first import.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from safeguard.banks import service
from safeguard.banks.models import BankSpec
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade

BANK = "bench"


def pdq_list(rows: int, seed: int) -> bytes:
    """A CSV list of ``rows`` random PDQ values (each sets about 128 of 256 bits)."""
    values = np.random.default_rng(seed).integers(0, 256, (rows, 32), dtype=np.uint8)
    return b"".join(b"pdq," + bytes(row).hex().encode() + b"\n" for row in values)


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def postgres_database(server: str) -> Iterator[str]:
    name = f"safeguard_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed_import(db: Database, body: bytes, profile: bool) -> tuple[float, service.ImportSummary]:
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    result = service.import_list(db, BANK, io.BytesIO(body))
    if profiler is not None:
        profiler.disable()
    elapsed = time.perf_counter() - started
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return elapsed, result


def run(label: str, url: str, body: bytes, rows: int, profile: bool) -> None:
    upgrade(url)
    db = Database(url)
    try:
        with db.session() as session:
            service.create_bank(session, BankSpec(BANK))
        first, result = timed_import(db, body, profile)
        assert (result.added, result.already_present) == (rows, 0), result
        again, repeat = timed_import(db, body, False)
        assert (repeat.added, repeat.already_present) == (0, rows), repeat
    finally:
        db.dispose()
    print(
        f"{label:<10} {rows:>9,} rows  import {first:7.2f} s ({rows / first:>9,.0f} rows/s)"
        f"  again {again:7.2f} s ({rows / again:>9,.0f} rows/s)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is made on it)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--profile", action="store_true", help="cProfile the first import")
    args = parser.parse_args()
    body = pdq_list(args.rows, 1)
    if not args.no_sqlite:
        with sqlite_database() as url:
            run("sqlite", url, body, args.rows, args.profile)
    if args.postgres:
        with postgres_database(args.postgres) as url:
            run("postgresql", url, body, args.rows, args.profile)


if __name__ == "__main__":
    main()
