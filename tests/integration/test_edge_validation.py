"""Hostile values at the edge answer a 4xx problem and keep the connection (issue #16)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from tests.conftest import jpeg_bytes, synthetic_photo
from tests.integration.server import Server
from tests.integration.test_api_errors import assert_problem


@pytest.fixture
def server(shared_server: Server) -> Server:
    """This module's tests share one server per database: none changes what another reads."""
    return shared_server


def keep_alive_connection(server: Server) -> http.client.HTTPConnection:
    parts = urlsplit(server.base_url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)


def request(
    connection: http.client.HTTPConnection,
    server: Server,
    method: str,
    path: str,
    body: bytes | None = None,
) -> tuple[int, str, dict[str, object]]:
    headers = {"Authorization": f"Bearer {server.key}", "Content-Type": "application/json"}
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    payload = json.loads(response.read() or b"{}")
    return response.status, response.getheader("content-type", ""), payload


def test_bad_values_answer_422_on_the_same_connection(server: Server) -> None:
    """NUL characters in ids, and an id of the wrong shape, answer 422 problem+json; the
    next request on the same keep-alive connection is served."""
    connection = keep_alive_connection(server)
    lookup = {"signals": {"md5": "0" * 32}}
    cases = [
        ("POST", "/v1/lookup", {**lookup, "content_id": "post\x001"}),
        ("POST", "/v1/lookup", {**lookup, "uploader_id": "\x00"}),
        ("POST", "/v1/lookup", {"signals": {"md5\x00": "0" * 32}}),
        ("GET", "/v1/screenings/%00", None),
        ("GET", "/v1/banks/x/entries?after=99999999999999999999", None),
    ]
    for method, path, body in cases:
        encoded = json.dumps(body).encode() if body is not None else None
        status, media, payload = request(connection, server, method, path, encoded)
        assert status in (400, 404, 422), (path, status, payload)
        assert media == "application/problem+json"
        good = request(connection, server, "POST", "/v1/lookup", json.dumps(lookup).encode())
        assert good[0] == 200
    connection.close()


def test_nul_in_upload_ids_is_refused(server: Server) -> None:
    photo = jpeg_bytes(synthetic_photo(3))
    assert_problem(server.screen(photo, content_id="a\x00b"), 422, "validation-error")
    response = server.client.post(
        "/v1/screen", files={"file": ("upload", photo)}, data={"uploader_id": "u\x00"}
    )
    assert_problem(response, 400, "bad-request")


def test_too_many_multipart_parts_is_a_documented_problem(server: Server) -> None:
    photo = jpeg_bytes(synthetic_photo(4))
    files = [("file", ("a", photo)), ("file", ("b", photo))]
    assert_problem(server.client.post("/v1/screen", files=files), 400, "invalid-multipart")
    fields = {f"field{i}": "x" for i in range(20)}
    response = server.client.post("/v1/screen", files={"file": ("a", photo)}, data=fields)
    assert_problem(response, 400, "invalid-multipart")


def test_a_key_reads_only_its_own_screenings(server: Server) -> None:
    photo = jpeg_bytes(synthetic_photo(5))
    screening_id = server.screen(photo, content_id="post-1", uploader_id="user-1").json()[
        "screening_id"
    ]
    assert server.client.get(f"/v1/screenings/{screening_id}").status_code == 200
    other = server.cli.ok("apikey", "create", "other-platform").strip().splitlines()[-1]
    response = server.client.get(
        f"/v1/screenings/{screening_id}", headers={"Authorization": f"Bearer {other}"}
    )
    assert_problem(response, 404, "not-found")
    assert "user-1" not in response.text
