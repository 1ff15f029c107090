"""The upload-to-decision flow over real HTTP, against SQLite and PostgreSQL.

Tests on ``shared_server`` share one server per database: each uses its own bank and
photo, so none sees another's. Those that count or list everything have a server alone."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from tests.conftest import jpeg_bytes, synthetic_photo
from tests.integration.server import Server, start_server


def banked_photo(
    server: Server, tmp_path: Path, bank: str = "known", seed: int = 11
) -> Image.Image:
    """Create ``bank`` through the API and hash a photo into it with the CLI (another process)."""
    photo = synthetic_photo(seed, (400, 300))
    path = tmp_path / f"photo-{seed}.jpg"
    path.write_bytes(jpeg_bytes(photo, quality=95))
    if server.client.get(f"/v1/banks/{bank}").status_code == 404:
        assert server.client.post("/v1/banks", json={"name": bank}).status_code == 201
    server.cli.ok("bank", "add", bank, str(path))
    return photo


def test_health_needs_no_key_and_reports_the_index(shared_server: Server) -> None:
    response = shared_server.client.get("/v1/health", headers={"Authorization": ""})
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_reencoded_and_resized_copies_are_blocked(shared_server: Server, tmp_path: Path) -> None:
    server = shared_server
    photo = banked_photo(server, tmp_path)
    for copy in (jpeg_bytes(photo, quality=70), jpeg_bytes(photo.resize((200, 150)), quality=85)):
        response = server.screen(copy, content_id="post-1", uploader_id="user-9")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["decision"] == "block"
        [match] = [m for m in body["matches"] if m["signal_type"] == "pdq"]
        assert match["bank"] == "known" and 0 <= match["distance"] <= 31
        kinds = {"md5", "video_md5", "sha256", "sha1", "pdq", "pdq_quality", "vpdq"}
        assert set(body["signals"]) == kinds
        assert body["signals"]["video_md5"] is None and body["signals"]["vpdq"] is None
    other = server.screen(jpeg_bytes(synthetic_photo(99, (400, 300))))
    assert other.json()["decision"] == "allow" and other.json()["matches"] == []


def test_raw_body_upload_and_exact_match(shared_server: Server, tmp_path: Path) -> None:
    server = shared_server
    banked_photo(server, tmp_path, bank="raw", seed=12)
    original = (tmp_path / "photo-12.jpg").read_bytes()
    response = server.client.post(
        "/v1/screen", content=original, headers={"Content-Type": "image/jpeg"}
    )
    kinds = {m["signal_type"] for m in response.json()["matches"]}
    assert response.json()["decision"] == "block" and kinds == {"md5", "sha256", "sha1", "pdq"}


def test_review_banks_and_safelists(server: Server, tmp_path: Path) -> None:
    photo = banked_photo(server, tmp_path, bank="check-these")
    # Re-created as a review bank: delete and recreate with the same content.
    assert server.client.delete("/v1/banks/check-these").status_code == 204
    assert (
        server.client.post(
            "/v1/banks", json={"name": "check-these", "action": "review"}
        ).status_code
        == 201
    )
    server.cli.ok("bank", "add", "check-these", str(tmp_path / "photo-11.jpg"))
    held = server.screen(jpeg_bytes(photo, 70)).json()
    assert held["decision"] == "review"
    [item] = server.client.get("/v1/review-items").json()["items"]
    assert (item["kind"], item["screening_id"]) == ("screening", held["screening_id"])
    assert item["reason"]["matches"][0]["bank"] == "check-these"
    assert (
        server.client.post("/v1/banks", json={"name": "fp", "kind": "safelist"}).status_code == 201
    )
    server.cli.ok("bank", "add", "fp", str(tmp_path / "photo-11.jpg"))
    body = server.screen(jpeg_bytes(photo, 70)).json()
    assert body["decision"] == "allow"
    assert {m["effect"] for m in body["matches"]} == {"review", "safelist"}


def test_disable_and_enable_one_entry(server: Server, tmp_path: Path) -> None:
    photo = banked_photo(server, tmp_path)
    entries = server.client.get("/v1/banks/known/entries").json()["entries"]
    [pdq_entry] = [e for e in entries if e["signal_type"] == "pdq"]
    copy = jpeg_bytes(photo, 70)
    patch = server.client.patch(
        f"/v1/banks/known/entries/{pdq_entry['id']}", json={"enabled": False}
    )
    assert patch.status_code == 200 and patch.json()["enabled"] is False
    assert server.screen(copy).json()["decision"] == "allow"
    server.cli.ok("bank", "enable", "known", str(pdq_entry["id"]))
    assert server.screen(copy).json()["decision"] == "block"


def test_lookup_by_hashes(shared_server: Server) -> None:
    server = shared_server
    pdq = "d8f8f0cec4f4a84f0637022a078f67f0b36e2ee5b6621e1d33e6239c4e9c9b22"
    assert (
        server.client.post("/v1/banks", json={"name": "hashes", "pdq_threshold": 20}).status_code
        == 201
    )
    created = server.client.post(
        "/v1/banks/hashes/entries",
        json={"signal_type": "pdq", "value": pdq, "external_id": "ext-1", "labels": ["a"]},
    )
    assert created.status_code == 201 and created.json()["external_id"] == "ext-1"
    near = pdq[:-1] + "3"  # one bit away
    body = server.client.post(
        "/v1/lookup", json={"signals": {"pdq": near}, "pdq_quality": 90}
    ).json()
    assert body["decision"] == "block" and body["matches"][0]["distance"] == 1
    duplicate = server.client.post(
        "/v1/banks/hashes/entries", json={"signal_type": "pdq", "value": pdq}
    )
    assert duplicate.status_code == 409


def test_import_and_export_a_list(shared_server: Server) -> None:
    server = shared_server
    md5 = "0123456789abcdef0123456789abcdef"
    assert server.client.post("/v1/banks", json={"name": "imported"}).status_code == 201
    csv_text = f"signal_type,signal_value,external_id,labels\nmd5,{md5},case-1,x;y\n"
    response = server.client.post("/v1/banks/imported/import", content=csv_text)
    assert response.json() == {"added": 1, "already_present": 0}
    exported = server.client.get("/v1/banks/imported/export")
    assert exported.headers["content-type"].startswith("text/csv")
    assert f"md5,{md5},case-1,x;y" in exported.text
    assert (
        server.client.post("/v1/lookup", json={"signals": {"md5": md5}}).json()["decision"]
        == "block"
    )
    assert server.cli.ok("bank", "export", "imported") == exported.text


def test_every_screening_is_audited_without_content(shared_server: Server, tmp_path: Path) -> None:
    server = shared_server
    photo = banked_photo(server, tmp_path, bank="audited", seed=13)
    body = server.screen(jpeg_bytes(photo, 70), content_id="c-1", uploader_id="u-1").json()
    record = server.client.get(f"/v1/screenings/{body['screening_id']}").json()
    assert record["client"] == "tests" and record["decision"] == "block"
    assert (record["content_id"], record["uploader_id"]) == ("c-1", "u-1")
    assert record["signals"] == body["signals"] and record["matches"] == body["matches"]
    assert record["created_at"].endswith("+00:00")
    assert server.client.get("/v1/screenings/nope").status_code == 404


def test_metrics_count_decisions(server: Server) -> None:
    server.screen(jpeg_bytes(synthetic_photo(5)))
    text = server.client.get("/metrics").text
    assert 'safeguard_screenings_total{decision="allow",source="upload"} 1.0' in text
    assert server.client.get("/metrics", headers={"Authorization": ""}).status_code == 401


def test_openapi_is_published(shared_server: Server) -> None:
    spec = shared_server.client.get("/openapi.json").json()
    assert {"/v1/screen", "/v1/lookup", "/v1/banks", "/v1/health"} <= set(spec["paths"])
    assert shared_server.client.get("/docs").status_code == 200


def test_changes_reach_every_worker(server: Server, tmp_path: Path) -> None:
    """A second server process on the same database sees entries added and disabled
    through the first one, from its next request on, without restarting."""
    other = start_server(dict(server.cli.env), key_name="second-worker")
    try:
        photo = synthetic_photo(21, (400, 300))
        copy = jpeg_bytes(photo, 70)
        assert other.screen(copy).json()["decision"] == "allow"
        assert server.client.post("/v1/banks", json={"name": "shared"}).status_code == 201
        pdq = json.loads(server.cli.ok("hash", str(_save(photo, tmp_path))))["pdq"]
        entry = server.client.post(
            "/v1/banks/shared/entries", json={"signal_type": "pdq", "value": pdq}
        ).json()
        assert other.screen(copy).json()["decision"] == "block"
        server.client.patch(f"/v1/banks/shared/entries/{entry['id']}", json={"enabled": False})
        assert other.screen(copy).json()["decision"] == "allow"
        assert other.client.get("/v1/health").json()["index"] == {"pdq": 0, "vpdq": 0}
        ready = [worker.client.get("/v1/ready").json() for worker in (server, other)]
        assert ready[0] == ready[1] and ready[0]["change_seq"] == 2  # the add, the disable
    finally:
        other.stop()


def _save(photo: Image.Image, folder: Path) -> Path:
    path = folder / "shared.jpg"
    path.write_bytes(jpeg_bytes(photo, 95))
    return path
