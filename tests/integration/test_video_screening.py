"""Videos through the CLI and a real server, on SQLite and PostgreSQL: hashes in the
reference's shape, banking a video or its vPDQ file, excerpts blocked with the matched
time ranges named, and broken videos refused with nothing written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import func, select

from safeguard.store.db import Database
from safeguard.store.models import Screening
from tests.integration.server import Cli, Server, environment, start_server
from tests.videos import excerpt, video


@cache
def banked() -> bytes:
    return video(seed=11, seconds=16)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(environment(tmp_path / "data", f"sqlite:///{tmp_path / 'data' / 'sg.db'}"))


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    running = start_server(environment(tmp_path / "data", database_url))
    try:
        yield running
    finally:
        running.stop()


def test_hash_prints_the_reference_shape(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(video(seed=12, seconds=3))
    [record] = [
        json.loads(line) for line in cli.ok("hash", "--format", "jsonl", str(path)).splitlines()
    ]
    assert list(record) == ["path", "md5", "video_md5", "sha256", "vpdq", "sha1"]
    assert record["md5"] == record["video_md5"]
    assert [f["frame"] for f in record["vpdq"]] == [0, 10, 20]
    assert [f["timestamp"] for f in record["vpdq"]] == [0.0, 1.0, 2.0]
    assert all(len(f["pdq"]) == 64 and 0 <= f["quality"] <= 100 for f in record["vpdq"])


def test_a_banked_vpdq_file_blocks_an_excerpt(cli: Cli, tmp_path: Path) -> None:
    original = tmp_path / "original.mp4"
    original.write_bytes(banked())
    [record] = [json.loads(line) for line in cli.ok("hash", str(original)).splitlines()]
    lines = [f"{f['frame']},{f['quality']},{f['pdq']},{f['timestamp']:.3f}" for f in record["vpdq"]]
    hashes = tmp_path / "original.txt"
    hashes.write_text("\n".join(lines) + "\n")
    cli.ok("bank", "create", "videos", "--action", "block")
    assert "imported 1 entries" in cli.ok("bank", "import", "videos", str(hashes))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(excerpt(banked(), start=5, seconds=8))
    [result] = [json.loads(line) for line in cli.ok("scan", str(clip)).splitlines()]
    assert result["decision"] == "block"
    [match] = result["matches"]
    assert match["signal_type"] == "vpdq" and match["video"]["clip_seconds"] >= 6


def test_broken_videos_are_one_line_errors(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(banked()[: len(banked()) // 2])
    result = cli.run("scan", str(broken))
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert "truncated" in line or "could not" in line


def test_the_api_blocks_an_excerpt_and_refuses_broken_videos(server: Server) -> None:
    server.cli.ok("bank", "create", "videos", "--action", "block")
    with_bank = server.cli.env["SAFEGUARD_DATA_DIR"]
    original = Path(with_bank) / "original.mp4"
    original.write_bytes(banked())
    assert "added 5 entries" in server.cli.ok("bank", "add", "videos", str(original))
    answer = server.screen(excerpt(banked(), start=6, seconds=8))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["decision"] == "block"
    [match] = [m for m in body["matches"] if m["signal_type"] == "vpdq"]
    [(start, end)] = match["video"]["matched_ranges"]
    assert 5 <= start <= 7 and 12 <= end <= 14
    assert isinstance(body["signals"]["vpdq"], list) and body["signals"]["video_md5"]

    db = Database(server.cli.env["SAFEGUARD_DATABASE_URL"])
    try:
        with db.read_session() as session:
            before = session.scalar(select(func.count()).select_from(Screening))
        for data in (
            banked()[: len(banked()) // 2],
            b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64,
            b"",
        ):
            refused = server.screen(data)
            assert refused.status_code in (400, 422), refused.text
            assert refused.headers["content-type"] == "application/problem+json"
        with db.read_session() as session:
            assert session.scalar(select(func.count()).select_from(Screening)) == before
    finally:
        db.dispose()
