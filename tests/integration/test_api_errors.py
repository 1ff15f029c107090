"""Bad input over HTTP: a clear 4xx problem body, the server stays up, nothing changes."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from tests.conftest import jpeg_bytes, png_bytes, synthetic_photo
from tests.integration.conftest import MAX_UPLOAD_BYTES
from tests.integration.server import Server

PROBLEM = "application/problem+json"


@pytest.fixture
def server(shared_server: Server) -> Server:
    """This module's tests share one server per database: none changes what another reads."""
    return shared_server


def assert_problem(response, status: int, slug: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"].endswith("/" + slug) and body["status"] == status
    assert body["title"] and body["detail"]


@pytest.fixture
def server_with_data(server: Server) -> Server:
    """The server with a bank "keep" holding one entry (made by the first test asking)."""
    assert server.client.post("/v1/banks", json={"name": "keep"}).status_code in (201, 409)
    server.client.post("/v1/banks/keep/import", content="md5,0123456789abcdef0123456789abcdef\n")
    return server


def stored_state(server: Server) -> tuple[object, str]:
    return server.client.get("/v1/banks").json(), server.client.get("/v1/banks/keep/export").text


def test_bad_uploads(server_with_data: Server) -> None:
    server = server_with_data
    before = stored_state(server)
    photo = jpeg_bytes(synthetic_photo(1))
    bomb = png_bytes(Image.new("1", (8000, 8000)))
    cases = [
        (b"", 400, "empty-content"),
        (photo[: len(photo) // 2], 422, "undecodable-media"),
        (b"just some text, not an image", 415, "unsupported-media"),
        (bomb, 413, "image-too-large"),
        (os.urandom(MAX_UPLOAD_BYTES + 10), 413, "content-too-large"),
    ]
    for data, status, slug in cases:
        assert_problem(server.screen(data), status, slug)
        raw = server.client.post("/v1/screen", content=data, headers={"Content-Type": "image/png"})
        assert_problem(raw, status, slug)
    assert stored_state(server) == before
    assert server.client.get("/v1/health").status_code == 200


def test_body_over_the_cap_without_content_length(server: Server) -> None:
    chunk = b"\0" * (256 * 1024)

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(MAX_UPLOAD_BYTES // len(chunk) + 2):
            yield chunk

    response = server.client.post("/v1/screen", content=chunks())
    assert_problem(response, 413, "content-too-large")


def test_multipart_without_file_part(server: Server) -> None:
    response = server.client.post(
        "/v1/screen", data={"content_id": "x"}, files={"other": ("a", b"1")}
    )
    assert_problem(response, 400, "bad-request")


def test_bad_lookups(server: Server) -> None:
    assert_problem(
        server.client.post("/v1/lookup", json={"signals": {"pdq": "abc"}}), 422, "invalid-signal"
    )
    assert_problem(
        server.client.post("/v1/lookup", json={"signals": {"x": "abc"}}), 422, "invalid-signal"
    )
    assert_problem(server.client.post("/v1/lookup", json={"signals": {}}), 422, "invalid-signal")
    assert_problem(server.client.post("/v1/lookup", content=b"{not json"), 422, "validation-error")
    assert_problem(
        server.client.post("/v1/lookup", json={"signals": {"pdq": "a" * 64}, "pdq_quality": 101}),
        422,
        "validation-error",
    )


def test_malformed_csv_imports_nothing(server_with_data: Server) -> None:
    server = server_with_data
    before = stored_state(server)
    good = "md5,ffffffffffffffffffffffffffffffff\n"
    response = server.client.post("/v1/banks/keep/import", content=good + "pdq,not-a-hash\n" + good)
    assert_problem(response, 422, "invalid-list")
    assert response.json()["detail"].startswith("line 2:")
    assert_problem(
        server.client.post("/v1/banks/keep/import", content=b"\xff\xfe\x00"), 422, "invalid-list"
    )
    assert stored_state(server) == before


def test_missing_or_wrong_api_key(server: Server) -> None:
    for headers in (
        {"Authorization": ""},
        {"Authorization": "Bearer sg_wrong"},
        {"Authorization": "Basic abc"},
    ):
        for method, path in (
            ("post", "/v1/screen"),
            ("get", "/v1/banks"),
            ("post", "/v1/lookup"),
            ("get", "/metrics"),
        ):
            response = server.client.request(method, path, headers=headers)
            assert_problem(response, 401, "unauthorized")
            assert response.headers["www-authenticate"] == "Bearer"


def test_revoked_key_stops_working(server: Server) -> None:
    created = server.cli.ok("apikey", "create", "short-lived", "--scope", "banks")
    key = created.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {key}"}
    assert server.client.get("/v1/banks", headers=headers).status_code == 200
    server.cli.ok("apikey", "revoke", "short-lived")
    assert_problem(server.client.get("/v1/banks", headers=headers), 401, "unauthorized")


def test_bank_errors(server: Server) -> None:
    assert_problem(server.client.get("/v1/banks/none"), 404, "not-found")
    assert_problem(server.client.post("/v1/banks", json={"name": "bad name"}), 422, "invalid-name")
    assert_problem(
        server.client.post("/v1/banks", json={"name": "x", "action": "delete"}),
        422,
        "validation-error",
    )
    assert server.client.post("/v1/banks", json={"name": "twice"}).status_code == 201
    assert_problem(server.client.post("/v1/banks", json={"name": "twice"}), 409, "conflict")
    assert_problem(
        server.client.patch("/v1/banks/twice/entries/12345", json={"enabled": False}),
        404,
        "not-found",
    )
    assert_problem(server.client.get("/v1/nothing-here"), 404, "not-found")


def test_server_survives_a_burst_of_garbage(server: Server) -> None:
    for i in range(30):
        server.client.post("/v1/screen", content=os.urandom(100 + i * 37))
    image = io.BytesIO()
    synthetic_photo(2).save(image, format="WEBP")
    assert server.screen(image.getvalue()).status_code == 200
