"""Backups of the database, the evidence vault's content included, and their restore.

SQLite is copied with SQLite's online backup API (a consistent copy while the service
runs); PostgreSQL with ``pg_dump --format=custom`` and ``pg_restore --clean``. The vault's
content is encrypted in the database, so a backup holds it encrypted: the vault's keys
are never written into a backup and must be kept apart (docs/operations.md).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from safeguard.errors import BadRequest, SafeguardError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupFailed(SafeguardError):
    """pg_dump or pg_restore failed, or is missing."""

    slug = "backup-failed"
    title = "Backup or restore failed"
    status = 500


def backup(database_url: str, target: Path) -> None:
    """Write a consistent copy of the database to ``target`` (replaced only when whole)."""
    if not target.parent.is_dir():
        raise BadRequest(f"no folder {target.parent} to write the backup in")
    url = make_url(database_url)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    if url.get_backend_name() == "sqlite":
        with closing(_sqlite(url)) as source, closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)
    else:
        _run_pg(url, "pg_dump", "--format=custom", "--no-owner", f"--file={partial}")
    partial.replace(target)


def restore(database_url: str, source: Path) -> None:
    """Replace the database's content by the backup at ``source``: of the same kind of
    database, made by ``backup``. Stop the service first."""
    if not source.is_file():
        raise BadRequest(f"no backup at {source}")
    with source.open("rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite" and magic.startswith(SQLITE_MAGIC):
        with closing(sqlite3.connect(source)) as copy, closing(_sqlite(url)) as database:
            copy.backup(database)
        return
    if backend == "postgresql" and magic.startswith(PG_DUMP_MAGIC):
        _run_pg(
            url, "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
            str(source),
        )  # fmt: skip
        return
    kind = "SQLite" if magic.startswith(SQLITE_MAGIC) else "PostgreSQL"
    if not magic.startswith((SQLITE_MAGIC, PG_DUMP_MAGIC)):
        raise BadRequest(f"{source} is not a Safeguard backup (neither SQLite nor pg_dump)")
    raise BadRequest(f"{source} is a {kind} backup; the configured database is {backend}")


def _sqlite(url: URL) -> sqlite3.Connection:
    if not url.database or url.database == ":memory:":
        raise BadRequest("an in-memory SQLite database has nothing to back up")
    return sqlite3.connect(url.database, timeout=30)


def _run_pg(url: URL, program: str, *args: str) -> None:
    """Run a PostgreSQL client program on ``url``'s database; the password goes in the
    environment, never on the command line."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupFailed(
            f"{program} is not installed (Debian: apt-get install postgresql-client)"
        )
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    connection = [f"--dbname={url.database or 'postgres'}"]
    connection += [f"--host={url.host}"] if url.host else []
    connection += [f"--port={url.port}"] if url.port else []
    connection += [f"--username={url.username}"] if url.username else []
    done = subprocess.run(
        [executable, *connection, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupFailed(f"{program} failed: {last}")
