"""The CLI forms other tools depend on, and its one-line errors with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safeguard.signals.pdq import PDQ
from tests.conftest import FIXTURES, jpeg_bytes, synthetic_photo
from tests.integration.server import Cli, environment

FIXTURE = FIXTURES / "reference"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(environment(tmp_path / "data", f"sqlite:///{tmp_path / 'data' / 'sg.db'}"))


def photo_dir(tmp_path: Path, seeds: range) -> Path:
    folder = tmp_path / "photos"
    (folder / "nested").mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        target = folder / ("nested" if seed % 2 else "") / f"p{seed}.jpg"
        target.write_bytes(jpeg_bytes(synthetic_photo(seed)))
    return folder


def one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("safeguard: "), result.stderr
    return str(lines[0])


def test_hash_prints_one_object_per_file_and_walks_directories(cli: Cli, tmp_path: Path) -> None:
    folder = photo_dir(tmp_path, range(3))
    output = cli.ok("hash", "--format", "jsonl", str(folder), str(FIXTURE / "wee.jpg"))
    records = [json.loads(line) for line in output.splitlines()]
    assert [Path(r["path"]).name for r in records] == ["p1.jpg", "p0.jpg", "p2.jpg", "wee.jpg"]
    for record in records:
        assert list(record) == ["path", "md5", "sha256", "pdq", "pdq_quality", "sha1"]
    # The upload pipeline decodes JPEGs as grey (their own luma): within a few bits of the
    # full RGB decode's hash, here the reference binding's.
    reference = "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d"
    assert PDQ.distance(records[-1]["pdq"], reference) <= 8
    assert records[-1]["pdq_quality"] == 100


def test_bank_workflow_and_scan(cli: Cli, tmp_path: Path) -> None:
    folder = photo_dir(tmp_path, range(4))
    assert "created bank known" in cli.ok("bank", "create", "known", "--action", "block")
    cli.ok("bank", "create", "later", "--action", "review", "--pdq-threshold", "40")
    cli.ok("bank", "create", "fp", "--kind", "safelist")
    assert "added 4 entries from 1 files" in cli.ok("bank", "add", "known", str(folder / "p0.jpg"))
    listing = [json.loads(line) for line in cli.ok("bank", "list").splitlines()]
    assert [(b["name"], b["entries"]) for b in listing] == [("fp", 0), ("known", 4), ("later", 0)]

    copy = tmp_path / "copy.jpg"
    from PIL import Image

    copy.write_bytes(jpeg_bytes(Image.open(folder / "p0.jpg"), quality=70))
    output = cli.ok("scan", "--format", "jsonl", str(copy), str(folder / "p2.jpg"))
    first, second = (json.loads(line) for line in output.splitlines())
    assert list(first) == ["path", "decision", "matches"]
    assert first["decision"] == "block" and second["decision"] == "allow"
    assert list(first["matches"][0]) == [
        "bank",
        "entry_id",
        "content_item_id",
        "signal_type",
        "distance",
    ]
    only_later = json.loads(cli.ok("scan", "--bank", "later", str(copy)))
    assert only_later["decision"] == "allow"

    exported = cli.ok("bank", "export", "known")
    (tmp_path / "list.csv").write_text(exported)
    assert "imported 4 entries" in cli.ok("bank", "import", "later", str(tmp_path / "list.csv"))
    assert json.loads(cli.ok("scan", "--bank", "later", str(copy)))["decision"] == "review"


def test_apikey_create_prints_the_key_last(cli: Cli) -> None:
    output = cli.ok("apikey", "create", "platform")
    assert output.strip().splitlines()[-1].startswith("sg_")
    listed = json.loads(cli.ok("apikey", "list"))
    assert listed["name"] == "platform" and "key" not in json.dumps(listed)


def test_db_upgrade_is_idempotent(cli: Cli) -> None:
    cli.ok("db", "upgrade")
    cli.ok("db", "upgrade")


def test_bad_input_gives_one_line_and_exit_2(cli: Cli, tmp_path: Path) -> None:
    cli.ok("bank", "create", "known")
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(jpeg_bytes(synthetic_photo(1))[:500])
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("md5,0123456789abcdef0123456789abcdef\npdq,nothex\n")
    assert "not an image" in one_line_error(cli.run("hash", str(text)))
    assert "could not be" in one_line_error(cli.run("hash", str(truncated)))
    assert "no such file" in one_line_error(cli.run("hash", str(tmp_path / "missing.jpg")))
    assert "line 2" in one_line_error(cli.run("bank", "import", "known", str(bad_csv)))
    assert "no bank named" in one_line_error(cli.run("bank", "add", "nope", str(text)))
    assert "no bank named" in one_line_error(cli.run("scan", "--bank", "nope", str(text)))
    assert "invalid bank name" in one_line_error(cli.run("bank", "create", "a b"))
    assert "already exists" in one_line_error(cli.run("bank", "create", "known"))
    one_line_error(cli.run("bank", "create", "x", "--action", "explode"))
    one_line_error(cli.run("no-such-command"))
    one_line_error(cli.run("bank", "delete", "known"))
    assert json.loads(cli.ok("bank", "list"))["entries"] == 0  # nothing half-imported


def test_hash_reports_bad_files_and_still_hashes_the_rest(cli: Cli, tmp_path: Path) -> None:
    folder = photo_dir(tmp_path, range(2))
    (folder / "zz-notes.txt").write_text("text")
    result = cli.run("hash", str(folder))
    assert result.returncode == 2
    assert len(result.stdout.splitlines()) == 2
    assert result.stderr.count("\n") == 1 and "zz-notes.txt" in result.stderr


def test_import_from_stdin(cli: Cli) -> None:
    cli.ok("bank", "create", "piped")
    result = cli.run(
        "bank", "import", "piped", "-", stdin=b"md5,0123456789abcdef0123456789abcdef\n"
    )
    assert result.returncode == 0 and "imported 1 entries" in result.stdout


def test_size_cap_applies_to_the_cli(tmp_path: Path) -> None:
    env = environment(
        tmp_path / "data",
        f"sqlite:///{tmp_path / 'data' / 'sg.db'}",
        SAFEGUARD_MAX_UPLOAD_BYTES="1000",
    )
    big = tmp_path / "big.jpg"
    big.write_bytes(jpeg_bytes(synthetic_photo(3)))
    assert "over the limit" in one_line_error(Cli(env).run("hash", str(big)))


def test_bad_configuration_is_a_one_line_error(tmp_path: Path) -> None:
    env = environment(tmp_path, "sqlite:///x.db", SAFEGUARD_MAX_UPLOAD_BYTES="lots")
    assert "SAFEGUARD_MAX_UPLOAD_BYTES" in one_line_error(
        Cli(env).run("hash", str(FIXTURE / "wee.jpg"))
    )


def test_conversations_score_prints_one_object_per_conversation(cli: Cli, tmp_path: Path) -> None:
    source = FIXTURES / "conversations" / "false_alarms.jsonl"
    records = [
        json.loads(line) for line in cli.ok("conversations", "score", str(source)).splitlines()
    ]
    assert len(records) == 8
    for record in records:
        assert list(record) == ["conversation_id", "risk", "flagged", "first_flag_index", "cues"]
        assert 0.0 <= record["risk"] <= 1.0 and record["flagged"] is False
        assert record["first_flag_index"] is None
    assert records[0]["cues"] == [{"name": "secrecy", "messages": [2, 3, 4]}]
    strict = cli.ok("conversations", "score", "--threshold", "0.01", str(source)).splitlines()
    assert all(json.loads(line)["first_flag_index"] == 0 for line in strict)
    piped = cli.run("conversations", "score", "--format", "jsonl", "-", stdin=source.read_bytes())
    assert piped.returncode == 0 and piped.stdout.splitlines()[0] == json.dumps(
        records[0], separators=(", ", ": ")
    )


def test_conversations_score_refuses_bad_input_in_one_line(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"conversation_id": "a", "messages": []}\n{"conversation_id": 3.5}\n')
    assert "line 2" in one_line_error(cli.run("conversations", "score", str(bad)))
    assert "cannot read" in one_line_error(
        cli.run("conversations", "score", str(tmp_path / "missing.jsonl"))
    )
    assert "--threshold" in one_line_error(
        cli.run("conversations", "score", "--threshold", "1.5", str(bad))
    )
    model = tmp_path / "model.npz"
    model.write_bytes(b"junk")
    assert "model" in one_line_error(
        cli.run("conversations", "score", "--model", str(model), str(bad))
    )
