"""Slivers of few pixels but a huge side are refused over HTTP and by the CLI; the server
stays up and still screens long pictures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from safeguard.config import DEFAULT_MAX_IMAGE_ASPECT_RATIO, DEFAULT_MAX_IMAGE_SIDE
from tests.conftest import jpeg_bytes, strip_png, synthetic_photo
from tests.integration.server import Server, environment, start_server
from tests.integration.test_api_errors import assert_problem

SIDE_LIMIT = f"limit of {DEFAULT_MAX_IMAGE_SIDE} pixels a side"
ASPECT_LIMIT = f"aspect ratio limit of {DEFAULT_MAX_IMAGE_ASPECT_RATIO}:1"


@pytest.fixture
def default_server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A server with the default caps, under which a 1 x 49,000,000 PNG is within the pixel
    cap and only its side is over."""
    running = start_server(environment(tmp_path / "data", database_url))
    try:
        yield running
    finally:
        running.stop()


def test_slivers_are_refused_and_long_pictures_screened(server: Server, tmp_path: Path) -> None:
    cases = [
        (strip_png(1, 1_000_000), 413, "image-too-large", SIDE_LIMIT),
        (strip_png(1_000_000, 1), 413, "image-too-large", SIDE_LIMIT),
        (strip_png(2, 30_000), 422, "undecodable-media", ASPECT_LIMIT),
    ]
    for data, status, slug, limit in cases:
        response = server.screen(data)
        assert_problem(response, status, slug)
        assert limit in response.json()["detail"]
    assert server.client.get("/v1/health").status_code == 200
    long_picture = server.screen(jpeg_bytes(synthetic_photo(9, (300, 6000))))
    assert long_picture.status_code == 200, long_picture.text
    assert long_picture.json()["decision"] == "allow"
    sliver = tmp_path / "sliver.png"
    sliver.write_bytes(cases[0][0])
    hashed = server.cli.run("hash", str(sliver))
    assert hashed.returncode == 2 and SIDE_LIMIT in hashed.stderr


def test_a_49_megapixel_sliver_does_not_take_the_server_down(default_server: Server) -> None:
    data = strip_png(1, 49_000_000)
    assert len(data) < 100_000
    response = default_server.screen(data)
    assert_problem(response, 413, "image-too-large")
    assert SIDE_LIMIT in response.json()["detail"]
    assert default_server.client.get("/v1/health").status_code == 200
