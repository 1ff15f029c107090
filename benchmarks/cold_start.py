"""How long a worker takes from start to its first answer, with N PDQ hashes in PostgreSQL:
reading every entry from the database (no snapshot), and mapping a snapshot then replaying
the changes logged since.

    .venv/bin/python benchmarks/cold_start.py --database-url postgresql://... --entries 10000000

The bank is filled in the database itself (SQL over ``generate_series``; the values are
two MD5s of the item's id, 64 hex digits with about 128 bits set, as PDQ hashes have),
once: a database that holds the bank already is reused. Each run starts ``safeguard
serve`` as a new process and times it until ``POST /v1/lookup`` first answers, then reads
the process's peak memory. ``--changes`` entries are added after the snapshot is written,
so the start from it has that many changes to replay.

``--shards S`` times the index shards instead (``SAFEGUARD_INDEX_SHARDS``), in this
process (the replicas Ray would run as actors, without Ray's own start): S replicas
reading their shards from the database, writing their snapshots, then S new replicas
opening those snapshots and replaying the ``--changes`` logged since.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from threading import Event

import httpx
from sqlalchemy import func, select, text

from safeguard import apikeys
from safeguard.banks import service as banks
from safeguard.banks.models import BankSpec, NewEntry
from safeguard.scale.local import LocalBackend
from safeguard.scale.sharded import ShardedIndex
from safeguard.screening.matcher import Matcher
from safeguard.screening.snapshots import SnapshotStore, SnapshotWriter
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade
from safeguard.store.models import Entry

BANK = "cold-start"
SAFEGUARD = Path(sys.executable).with_name("safeguard")


def fill(db: Database, count: int) -> None:
    """``count`` PDQ entries in the bank, each with its content item and change-log row."""
    with db.session() as session:
        bank = banks.create_bank(session, BankSpec(BANK))
        session.flush()
        bank_id = bank.id
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO content_items (bank_id, labels, enabled, created_at) "
                "SELECT :bank, '[]', true, now() FROM generate_series(1, :n)"
            ),
            {"bank": bank_id, "n": count},
        )
        connection.execute(
            text(
                "INSERT INTO entries (bank_id, content_item_id, signal_type, value, "
                "value_digest, enabled, created_at, updated_at) "
                "SELECT :bank, id, 'pdq', value, "
                "encode(sha256(convert_to(value, 'UTF8')), 'hex'), true, now(), now() "
                "FROM (SELECT id, md5(id::text) || md5((id * 7919)::text) AS value "
                "FROM content_items WHERE bank_id = :bank) AS items"
            ),
            {"bank": bank_id},
        )
        connection.execute(
            text(
                "INSERT INTO entry_changes (entry_id, changed_at) "
                "SELECT id, now() FROM entries WHERE bank_id = :bank ORDER BY id"
            ),
            {"bank": bank_id},
        )
        connection.execute(text("ANALYZE"))


def add_changes(db: Database, count: int, seed: int) -> None:
    """``count`` more entries through the bank service (logged like any addition)."""
    values = [hashlib.sha256(f"{seed}-{i}".encode()).hexdigest() for i in range(count)]
    with db.session() as session:
        bank = banks.get_bank(session, BANK)
        banks.add_entries(session, bank, [NewEntry("pdq", v) for v in values])


def warm_up() -> None:
    """Compile (and cache) the index kernels in a throwaway process, so that no start
    below pays for compilation."""
    code = (
        "import numpy as np; from safeguard.index.hamming import HammingIndex; "
        "codes = np.random.default_rng(0).integers(0, 256, (5000, 32), dtype=np.uint8); "
        "HammingIndex(codes, np.arange(5000)).search(codes[:2], 40)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def first_answer(env: dict[str, str], key: str, port: int) -> tuple[float, float]:
    """(seconds from the process's start to its first lookup answer, peak RSS in GB)."""
    started = time.monotonic()
    process = subprocess.Popen(
        [str(SAFEGUARD), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        query = {"signals": {"pdq": "0f" * 32}}
        headers = {"Authorization": f"Bearer {key}"}
        while True:
            if process.poll() is not None:
                raise RuntimeError("the server exited")
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/v1/lookup", json=query, headers=headers, timeout=5
                )
                if answer.status_code == 200:
                    elapsed = time.monotonic() - started
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        status = Path(f"/proc/{process.pid}/status").read_text()
        peak_kb = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")
        )
        return elapsed, peak_kb / 1024 / 1024
    finally:
        process.terminate()
        process.wait(30)


def started_shards(db: Database, shards: int, folder: Path) -> tuple[ShardedIndex, float]:
    """Replicas of ``shards`` shards, each caught up with the change log; seconds taken."""
    began = time.monotonic()
    index = ShardedIndex(LocalBackend.create(shards, database=db, snapshot_dir=folder))
    index.sync(force=True)
    return index, time.monotonic() - began


def time_shards(db: Database, shards: int, changes: int) -> None:
    """The shards' start from the database, then from their own snapshots."""
    warm_up()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        index, cold = started_shards(db, shards, folder)
        print(f"{shards} shards from the database: {cold:6.1f} s ({len(index):,} entries)")
        began = time.monotonic()
        index.save_snapshots()
        print(f"their snapshots written in {time.monotonic() - began:.1f} s")
        index.close()
        add_changes(db, changes, seed=int(began))
        index, warm = started_shards(db, shards, folder)
        opened = [state.snapshot is not None for state in index.backend.states()]
        print(
            f"{shards} shards from their snapshots: {warm:6.2f} s ({len(index):,} entries, "
            f"{changes:,} changes replayed, {sum(opened)} of {shards} opened a snapshot)"
        )
        print(f"ratio: {cold / warm:.0f}x faster from the snapshots")
        index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database to fill")
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--shards", type=int, default=1, help="time S index shards instead")
    parser.add_argument("--fill-only", action="store_true", help="fill the bank, time nothing")
    args = parser.parse_args()

    upgrade(args.database_url)
    db = Database(args.database_url)
    with db.read_session() as session:
        held = session.scalar(select(func.count()).select_from(Entry))
    if held == 0:
        began = time.monotonic()
        fill(db, args.entries)
        print(f"filled {args.entries:,} entries in {time.monotonic() - began:.0f} s")
    elif held < args.entries:
        raise SystemExit(f"the database holds {held:,} entries: use an empty one")
    if args.fill_only:
        return
    if args.shards > 1:
        time_shards(db, args.shards, args.changes)
        db.dispose()
        return
    key = apikeys.create_key(db, f"bench-{os.getpid()}", "benchmark", "benchmark")

    warm_up()
    with tempfile.TemporaryDirectory() as scratch:
        base = {k: v for k, v in os.environ.items() if not k.startswith("SAFEGUARD_")}
        base |= {
            "SAFEGUARD_DATABASE_URL": args.database_url,
            "SAFEGUARD_DATA_DIR": scratch,
            "SAFEGUARD_SNAPSHOT_INTERVAL_SECONDS": "0",
        }
        empty = Path(scratch) / "no-snapshot"
        cold, cold_gb = first_answer(base | {"SAFEGUARD_SNAPSHOT_DIR": str(empty)}, key, args.port)
        print(f"no snapshot:   first answer {cold:6.1f} s after start, peak {cold_gb:.1f} GB")

        store = SnapshotStore(Path(scratch) / "snapshots")
        matcher = Matcher(snapshots=store)
        began = time.monotonic()
        matcher.sync(db)
        writer = SnapshotWriter(matcher, db, store, timedelta(hours=1))
        written = time.monotonic()
        writer.run_pass(Event())
        print(f"snapshot written in {time.monotonic() - written:.1f} s")
        del matcher, writer
        add_changes(db, args.changes, seed=int(began))
        env = base | {"SAFEGUARD_SNAPSHOT_DIR": str(store.folder)}
        warm, warm_gb = first_answer(env, key, args.port)
        print(
            f"from snapshot: first answer {warm:6.1f} s after start, peak {warm_gb:.1f} GB "
            f"({args.changes:,} changes replayed)"
        )
        print(f"ratio: {cold / warm:.1f}x faster from the snapshot")
    db.dispose()


if __name__ == "__main__":
    main()
