"""Flagged uploads kept in the evidence vault by a real server, on SQLite and PostgreSQL:
a block or a review keeps the content and what the platform told of it, encrypted;
allowed uploads, lookups and refused uploads keep nothing; without a vault nothing is
kept at all. Confirming a violation puts its evidence under legal hold; a false
positive makes it purgeable."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from safeguard.evidence import vault
from safeguard.evidence.keys import parse_keys
from safeguard.store.db import Database
from safeguard.store.models import EvidenceObject, utcnow
from tests.conftest import jpeg_bytes, synthetic_photo
from tests.integration.server import Server, environment, start_server
from tests.integration.ui import browser, hidden_token, log_in, make_user

KEY = "k1:" + base64.b64encode(bytes(range(1, 33))).decode()
FLAGGED = jpeg_bytes(synthetic_photo(21))
HELD = jpeg_bytes(synthetic_photo(22))
FINE = jpeg_bytes(synthetic_photo(23))


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    env = environment(tmp_path / "data", database_url, SAFEGUARD_EVIDENCE_KEYS=KEY)
    running = start_server(env)
    try:
        yield running
    finally:
        running.stop()


def upload(server: Server, data: bytes, **fields: str) -> httpx.Response:
    files = {"file": ("beach.jpg", data, "image/jpeg")}
    return server.client.post("/v1/screen", files=files, data=fields)


def bank(server: Server, name: str, action: str, data: bytes) -> None:
    assert server.client.post("/v1/banks", json={"name": name, "action": action}).status_code == 201
    md5 = upload(server, data).json()["signals"]["md5"]  # allowed: nothing is kept
    entry = {"signal_type": "md5", "value": md5}
    assert server.client.post(f"/v1/banks/{name}/entries", json=entry).status_code == 201


def kept(db: Database) -> list[EvidenceObject]:
    with db.read_session() as session:
        rows = list(session.scalars(select(EvidenceObject).order_by(EvidenceObject.created_at)))
        session.expunge_all()  # kept readable after the session ends
        return rows


def decide(server: Server, item_id: str, outcome: str) -> None:
    with browser(server) as client:
        assert log_in(client, "mo").status_code == 303
        page = client.get(f"/ui/items/{item_id}")
        form = {"csrf_token": hidden_token(page), "outcome": outcome, "reason": "checked"}
        assert client.post(f"/ui/items/{item_id}/decide", data=form).status_code == 303


def test_flagged_uploads_are_kept_encrypted_and_decisions_set_their_retention(
    server: Server, database_url: str
) -> None:
    bank(server, "known", "block", FLAGGED)
    bank(server, "check-these", "review", HELD)
    fields = {"uploader_id": "user-7", "uploader_ip": "2001:db8::7", "uploader_port": "443"}
    blocked = upload(server, FLAGGED, **fields).json()
    assert blocked["decision"] == "block"
    assert upload(server, HELD, uploader_id="user-8").json()["decision"] == "review"
    assert upload(server, FINE).json()["decision"] == "allow"
    lookup = {"signals": {"md5": blocked["signals"]["md5"]}}
    assert server.client.post("/v1/lookup", json=lookup).json()["decision"] == "block"
    refused = upload(server, FLAGGED, uploader_ip="not an address")
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/problem+json"

    db = Database(database_url)
    try:
        rows = kept(db)
        assert len(rows) == 2  # the block and the review; nothing else
        first = rows[0]
        assert first.screening_id == blocked["screening_id"]
        assert FLAGGED not in first.content and b"user-7" not in first.details
        keyring = parse_keys(KEY, "test")
        read = vault.read(db, keyring, first.id, actor="test", purpose="checking the vault")
        assert read.content == FLAGGED and read.media_type == "image"
        assert read.details["uploader_ip"] == "2001:db8::7"
        assert read.details["uploader_port"] == 443
        assert read.details["file_name"] == "beach.jpg"
        assert read.details["uploader_id"] == "user-7"
        assert read.details["hashes"]["md5"] == blocked["signals"]["md5"]
        assert read.retain_until > utcnow() + timedelta(days=89)

        queued = server.client.get("/v1/review-items").json()["items"]
        items = {i["screening_id"]: i["id"] for i in queued}
        make_user(server.cli, "mo", "moderator")
        decide(server, items[blocked["screening_id"]], "confirmed")
        decide(server, items[rows[1].screening_id], "false_positive")
        confirmed, cleared = kept(db)
        assert confirmed.hold_until is not None
        assert confirmed.hold_until > utcnow() + timedelta(days=364)
        assert cleared.hold_until is None and cleared.retain_until <= utcnow()
        assert vault.purge(db) == 1
        assert [row.id for row in kept(db)] == [confirmed.id]
    finally:
        db.dispose()


def test_without_a_vault_nothing_is_kept(database_url: str, tmp_path: Path) -> None:
    running = start_server(environment(tmp_path / "data", database_url))
    try:
        bank(running, "known", "block", FLAGGED)
        assert upload(running, FLAGGED).json()["decision"] == "block"
        db = Database(database_url)
        try:
            assert kept(db) == []
        finally:
            db.dispose()
        make_user(running.cli, "mo", "moderator")
        [item] = running.client.get("/v1/review-items").json()["items"]
        with browser(running) as client:
            log_in(client, "mo")
            page = client.get(f"/ui/items/{item['id']}")
        assert "the evidence vault is not configured" in page.text
    finally:
        running.stop()
