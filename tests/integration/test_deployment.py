"""The deployment kit: several serving processes on one port, and a backup of the
database (the evidence vault's encrypted content with it, never its keys) restored over
a changed database, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil
import pytest

from safeguard.errors import NotFound
from safeguard.evidence import vault
from safeguard.evidence.keys import parse_keys
from safeguard.store.db import Database
from tests.integration.server import SAFEGUARD, Cli, create_api_key, environment, free_port

KEY = "a:" + "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="  # 32 x "a"
MD5 = "5dc1441dd7a12fa79f2a43b1ebc93eab"


def test_serve_with_two_workers_answers_from_both(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", f"sqlite:///{tmp_path / 'sg.db'}")
    port = free_port()
    process = subprocess.Popen(
        [SAFEGUARD, "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        workers: list[psutil.Process] = []
        while time.monotonic() < deadline:
            workers = [
                child
                for child in psutil.Process(process.pid).children()
                if "spawn_main" in " ".join(child.cmdline())  # not the resource tracker
            ]
            try:
                if len(workers) == 2 and httpx.get(base + "/v1/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        assert len(workers) == 2 and all(w.is_running() for w in workers)
        key = create_api_key(env["SAFEGUARD_DATABASE_URL"], "two-workers")
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
            assert client.post("/v1/banks", json={"name": "known"}).status_code == 201
            added = client.post("/v1/banks/known/import", content=f"md5,{MD5}\n")
            assert added.status_code == 200, added.text
            answers = [client.post("/v1/lookup", json={"signals": {"md5": MD5}}) for _ in range(8)]
            assert all(a.json()["decision"] == "block" for a in answers)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def keep(db: Database, content: bytes) -> str:
    """Put ``content`` in the vault, as a blocked upload would."""
    with db.session() as session:
        return vault.store(
            session,
            parse_keys(KEY, "keys"),
            content=content,
            media_type="image/jpeg",
            details={"uploader_id": "user-1"},
            screening_id=None,
            retain_until=datetime.now(UTC) + timedelta(days=30),
            actor="platform",
        )


def test_a_backup_restores_banks_and_evidence_over_a_changed_database(
    database_url: str, tmp_path: Path
) -> None:
    cli = Cli(environment(tmp_path / "data", database_url))
    cli.ok("bank", "create", "kept")
    (tmp_path / "list.csv").write_text(f"md5,{MD5}\n")
    cli.ok("bank", "import", "kept", str(tmp_path / "list.csv"))
    keyring = parse_keys(KEY, "keys")
    db = Database(database_url)
    try:
        content = os.urandom(4096)
        evidence_id = keep(db, content)
        backup = tmp_path / "safeguard.backup"
        cli.ok("db", "backup", str(backup))
        assert content not in backup.read_bytes()  # the vault's content stays encrypted

        cli.ok("bank", "create", "made-after")
        cli.ok("bank", "delete", "kept", "--yes")
        stored_after = keep(db, os.urandom(64))

        refused = cli.run("db", "restore", str(backup))
        assert refused.returncode == 2 and "--yes" in refused.stderr
        cli.ok("db", "restore", str(backup), "--yes")
        banks = {json.loads(line)["name"] for line in cli.ok("bank", "list").splitlines()}
        assert "kept" in banks and "made-after" not in banks
        found = vault.read(db, keyring, evidence_id, actor="tests", purpose="restore check")
        assert found.content == content and found.details == {"uploader_id": "user-1"}
        with pytest.raises(NotFound):
            vault.read(db, keyring, stored_after, actor="tests", purpose="restore check")
    finally:
        db.dispose()


def test_restore_refuses_what_is_not_a_backup_of_this_database(tmp_path: Path) -> None:
    cli = Cli(environment(tmp_path / "data", f"sqlite:///{tmp_path / 'sg.db'}"))
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"PK\x03\x04 not a database")
    refused = cli.run("db", "restore", str(junk), "--yes")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "not a Safeguard backup" in refused.stderr
    missing = cli.run("db", "restore", str(tmp_path / "nothing"), "--yes")
    assert missing.returncode == 2 and "no backup at" in missing.stderr
    nowhere = cli.run("db", "backup", str(tmp_path / "no-such-folder" / "safeguard.backup"))
    assert nowhere.returncode == 2 and "no folder" in nowhere.stderr
