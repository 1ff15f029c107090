"""A throwaway PostgreSQL cluster that tests may stop and start again, made the way
scripts/with-postgres makes one: initdb in a temporary folder, a free local port, and,
as root, run by the postgres user (initdb refuses root)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.integration.server import free_port

PG_ROOT = Path("/usr/lib/postgresql")


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's binaries, if any."""
    versions = sorted(
        (p for p in PG_ROOT.glob("*") if (p / "bin" / "postgres").exists()),
        key=lambda p: int(p.name) if p.name.isdigit() else 0,
    )
    return versions[-1] / "bin" if versions else None


@dataclass
class Cluster:
    """One PostgreSQL server on 127.0.0.1:``port`` with its data under ``folder``."""

    bin: Path
    folder: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        command = shlex.join([str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), *args])
        _as_owner(command)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` disconnects clients and shuts down cleanly,
        ``immediate`` ends every process at once, as a crash would."""
        self._pg_ctl("-m", mode, "-w", "stop")

    def create_database(self) -> str:
        """The URL of a new, empty database on this server."""
        name = f"safeguard_faults_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return self.url.rsplit("/", 1)[0] + f"/{name}"


def _as_owner(command: str) -> None:
    if os.geteuid() == 0:
        subprocess.run(
            ["su", "postgres", "-s", "/bin/bash", "-c", command],
            check=True,
            capture_output=True,
        )
    else:
        subprocess.run(["bash", "-c", command], check=True, capture_output=True)


@contextmanager
def throwaway_cluster(bin_dir: Path) -> Iterator[Cluster]:
    """A started cluster, stopped and removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="safeguard-faults-pg."))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(bin_dir, folder, free_port())
    try:
        _as_owner(
            shlex.join(
                [str(bin_dir / "initdb"), "-D", f"{folder}/data", "-U", "postgres", "--auth=trust"]
            )
        )
        cluster.start()
        yield cluster
    finally:
        with suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
