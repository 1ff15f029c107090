"""The platform plug-ins end to end, in a real server talking to local fakes of each
platform: pict-rs external validation (2xx keeps an upload, anything else refuses it),
the Matrix content scanner API (`{"clean", "info"}`, `MCS_*` errors) in front of a fake
homeserver, and Mastodon's admin webhooks with reports filed to a fake Mastodon. One
server per database serves all three."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.conftest import jpeg_bytes, png_bytes, synthetic_photo
from tests.fakes.mastodon_server import FakeMastodon, signature, status_event
from tests.fakes.matrix_homeserver import (
    FakeHomeserver,
    encrypt_attachment,
    start_fake_homeserver,
)
from tests.fakes.serving import serving
from tests.integration.server import Server, environment, start_server

SECRET = "webhook-secret-for-tests"
CAP = 1024 * 1024  # the upload and video caps: a 2 MiB body is over both
PICTRS = "/v1/integrations/pict-rs/validate"
SCANNER = "/_matrix/media_proxy/unstable"
WEBHOOK = "/v1/integrations/mastodon/webhook"
OVERSIZED = bytes(range(256)) * (2 * CAP // 256)


@dataclass
class Platforms:
    server: Server
    homeserver: FakeHomeserver
    mastodon: FakeMastodon
    blocked: bytes  # banked in a block bank (its PDQ)
    held: bytes  # banked in a review bank
    other: bytes  # banked nowhere


@pytest.fixture
def platforms(database_url: str, tmp_path: Path) -> Iterator[Platforms]:
    homeserver = start_fake_homeserver()
    mastodon = FakeMastodon()
    with serving(mastodon.handle) as mastodon.url:
        env = environment(
            tmp_path / "data",
            database_url,
            SAFEGUARD_MAX_UPLOAD_BYTES=str(CAP),
            SAFEGUARD_MAX_VIDEO_BYTES=str(CAP),
            SAFEGUARD_PICTRS_ENABLED="true",
            SAFEGUARD_MATRIX_HOMESERVER_URL=homeserver.url,
            SAFEGUARD_MASTODON_URL=mastodon.url,
            SAFEGUARD_MASTODON_WEBHOOK_SECRET=SECRET,
            SAFEGUARD_MASTODON_TOKEN=mastodon.token,
        )
        server = start_server(env)
        try:
            blocked, held, other = (jpeg_bytes(synthetic_photo(seed)) for seed in (31, 32, 33))
            bank(server, "known", "block", blocked)
            bank(server, "check", "review", held)
            yield Platforms(server, homeserver, mastodon, blocked, held, other)
        finally:
            server.stop()
            homeserver.stop()


def bank(server: Server, name: str, action: str, image: bytes) -> None:
    """A bank of ``action`` holding the PDQ of ``image``."""
    screened = server.screen(image)
    assert screened.status_code == 200, (screened.text, server.log.read_text()[-3000:])
    pdq = screened.json()["signals"]["pdq"]
    assert server.client.post("/v1/banks", json={"name": name, "action": action}).status_code == 201
    entry = {"signal_type": "pdq", "value": pdq}
    assert server.client.post(f"/v1/banks/{name}/entries", json=entry).status_code == 201


def test_each_platform_gets_its_own_answers_for_banked_and_other_content(
    platforms: Platforms,
) -> None:
    check_pictrs(platforms)
    check_matrix(platforms)
    check_mastodon(platforms)


def check_pictrs(p: Platforms) -> None:
    """pict-rs posts the processed file as the body with its media type, the key in the
    URL; re-encoded by pict-rs (here: PNG), a banked photo is still refused."""
    url = p.server.base_url + PICTRS

    def validate(data: bytes, key: str = p.server.key) -> httpx.Response:
        headers = {"Content-Type": "image/png"}
        return httpx.post(url, params={"key": key}, content=data, headers=headers, timeout=30)

    refused = validate(png_bytes(Image.open(io.BytesIO(p.blocked))))
    assert refused.status_code == 403
    assert refused.json()["decision"] == "block" and refused.json()["screening_id"]
    held = validate(p.held)
    assert held.status_code == 403 and held.json()["decision"] == "review"  # review rejects
    kept = validate(p.other)
    assert kept.status_code == 200 and kept.json()["decision"] == "allow"
    assert validate(p.other, key="sg_not-a-key").status_code == 401
    assert httpx.post(url, content=p.other, timeout=30).status_code == 401
    assert validate(OVERSIZED).status_code == 413
    # The key never works as a bearer token elsewhere through the query string.
    assert (
        httpx.get(p.server.base_url + "/v1/banks", params={"key": p.server.key}).status_code == 401
    )


def check_matrix(p: Platforms) -> None:
    """Scan, download and thumbnail answer as the content scanner does, fetching from
    the homeserver (authenticated media when the client sends its token)."""
    hs = p.homeserver
    hs.media[("example.org", "blocked")] = ("image/jpeg", p.blocked)
    hs.media[("example.org", "other")] = ("image/jpeg", p.other)
    hs.media[("example.org", "notes")] = ("application/pdf", b"%PDF-1.4 minutes of the meeting")
    hs.media[("example.org", "huge")] = ("image/jpeg", OVERSIZED)
    hs.failing.add("broken")
    client = httpx.Client(base_url=p.server.base_url + SCANNER, timeout=30)
    with client:
        scan = client.get("/scan/example.org/blocked")
        assert scan.status_code == 200 and scan.json()["clean"] is False
        assert set(scan.json()) == {"clean", "info"}
        assert client.get("/scan/example.org/other").json() == {
            "clean": True,
            "info": "File is clean",
        }
        assert client.get("/scan/example.org/notes").json()["clean"] is True  # digests only

        refused = client.get("/download/example.org/blocked")
        assert refused.status_code == 403 and refused.json()["reason"] == "MCS_MEDIA_NOT_CLEAN"
        served = client.get("/download/example.org/other")
        assert served.status_code == 200 and served.content == p.other
        assert served.headers["content-type"] == "image/jpeg"
        assert served.headers["content-disposition"] == 'inline; filename="other"'

        token = {"Authorization": f"Bearer {hs.token}"}
        assert client.get("/download/example.org/other", headers=token).content == p.other
        assert hs.seen[-1].path == "/_matrix/client/v1/media/download/example.org/other"
        assert hs.seen[-1].authorization == f"Bearer {hs.token}"
        bad_token = client.get("/scan/example.org/other", headers={"Authorization": "Bearer x"})
        assert bad_token.json()["reason"] == "MCS_MEDIA_REQUEST_FAILED"

        size = {"width": "160", "height": "120", "method": "scale"}
        small = client.get("/thumbnail/example.org/blocked", params=size)
        assert small.status_code == 403 and small.json()["reason"] == "MCS_MEDIA_NOT_CLEAN"
        assert hs.seen[-1].query == {k: [v] for k, v in size.items()}
        shown = client.get("/thumbnail/example.org/other", params=size)
        assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"

        blocked_cipher, blocked_file = encrypt_attachment(p.blocked, "mxc://example.org/e2e-1")
        other_cipher, other_file = encrypt_attachment(p.other, "mxc://example.org/e2e-2")
        hs.media[("example.org", "e2e-1")] = ("application/octet-stream", blocked_cipher)
        hs.media[("example.org", "e2e-2")] = ("application/octet-stream", other_cipher)
        assert client.post("/scan_encrypted", json={"file": blocked_file}).json()["clean"] is False
        assert client.post("/scan_encrypted", json={"file": other_file}).json()["clean"] is True
        refused = client.post("/download_encrypted", json={"file": blocked_file})
        assert refused.status_code == 403 and refused.json()["reason"] == "MCS_MEDIA_NOT_CLEAN"
        served = client.post("/download_encrypted", json={"file": other_file})
        assert served.status_code == 200 and served.content == other_cipher  # still encrypted
        tampered = other_file | {"hashes": blocked_file["hashes"]}
        olm = {"encrypted_body": {"ciphertext": "x", "mac": "y", "ephemeral": "z"}}
        for body, status, reason in [
            ({"file": tampered}, 400, "MCS_MEDIA_FAILED_TO_DECRYPT"),
            ({"file": {"url": "mxc://example.org/e2e-2"}}, 400, "MCS_MALFORMED_JSON"),
            (olm, 403, "MCS_BAD_DECRYPTION"),
        ]:
            answer = client.post("/scan_encrypted", json=body)
            assert (answer.status_code, answer.json()["reason"]) == (status, reason), body

        for path, status, reason in [
            ("/scan/example.org/missing", 404, "M_NOT_FOUND"),
            ("/download/example.org/broken", 502, "MCS_MEDIA_REQUEST_FAILED"),
            ("/download/example.org/huge", 502, "MCS_MEDIA_REQUEST_FAILED"),
            ("/scan/example.org/bad%20id", 404, "M_NOT_FOUND"),
        ]:
            answer = client.get(path)
            assert (answer.status_code, answer.json()["reason"]) == (status, reason), path


def check_mastodon(p: Platforms) -> None:
    """A status with banked media is reported once, whatever the redeliveries; others
    are screened and left alone; unsigned deliveries are refused."""
    m = p.mastodon
    blocked_url = m.add_file("1/blocked.png", p.blocked)
    other_url = m.add_file("2/other.png", p.other)
    huge_url = m.add_file("3/huge.png", OVERSIZED)
    elsewhere = "https://elsewhere.example/system/4.png"

    def deliver(body: bytes, signed: str | None = None) -> httpx.Response:
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature": signed or signature(SECRET, body),
        }
        return httpx.post(p.server.base_url + WEBHOOK, content=body, headers=headers, timeout=30)

    media = [("201", blocked_url), ("202", other_url), ("203", elsewhere)]
    body = status_event("status.created", "110", "109", media)
    first = deliver(body)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["decision"] == "block" and answer["report_id"] == "1"
    assert len(answer["screening_ids"]) == 2 and answer["skipped"] == 1
    [report] = m.reports
    assert report["account_id"] == ["109"] and report["status_ids[]"] == ["110"]
    assert report["category"] == ["legal"] and answer["screening_ids"][0] in report["comment"][0]
    assert "https://elsewhere.example" not in "".join(m.fetched)

    fetched = len(m.fetched)
    again = deliver(body).json()  # Mastodon redelivers
    assert again["already_reported"] is True and again["report_id"] == "1"
    assert len(m.reports) == 1 and len(m.fetched) == fetched

    clean = deliver(status_event("status.updated", "111", "109", [("204", other_url)])).json()
    assert clean["decision"] == "allow" and clean["report_id"] is None and len(m.reports) == 1
    large = deliver(status_event("status.created", "112", "109", [("205", huge_url)])).json()
    assert large["skipped"] == 1 and large["screening_ids"] == []

    refused = deliver(body, signed=signature("another secret", body))
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    other_event = b'{"event": "account.created", "object": {"id": "7"}}'
    assert deliver(other_event).json()["status_id"] is None
