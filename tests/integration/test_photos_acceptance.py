"""Acceptance on ../shared photos: edited copies of banked photos are blocked over HTTP,
200 other photos are allowed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import PHOTOS, jpeg_bytes
from tests.integration.server import Server, environment, start_server

BANKED = 5
OTHERS = 200


@pytest.fixture
def sqlite_server(tmp_path: Path, shared_data: Path) -> Server:
    server = start_server(environment(tmp_path / "data", f"sqlite:///{tmp_path / 'sg.db'}"))
    yield server
    server.stop()


def test_edited_copies_blocked_others_allowed(sqlite_server: Server) -> None:
    server = sqlite_server
    photos = sorted(PHOTOS.glob("*.JPEG"))
    banked, others = photos[:BANKED], photos[BANKED : BANKED + OTHERS]
    assert len(others) == OTHERS
    server.cli.ok("bank", "create", "known")
    server.cli.ok("bank", "add", "known", *map(str, banked))
    for path in banked:
        with Image.open(path) as image:
            image.load()
            half = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
            for copy in (jpeg_bytes(image, quality=70), jpeg_bytes(half, quality=85)):
                body = server.screen(copy).json()
                assert body["decision"] == "block", path.name
                assert {m["signal_type"] for m in body["matches"]} == {"pdq"}
    for path in others:
        body = server.screen(path.read_bytes()).json()
        assert body["decision"] == "allow", (path.name, body["matches"])


def test_png_copy_of_a_banked_photo_is_blocked(sqlite_server: Server) -> None:
    path = sorted(PHOTOS.glob("*.JPEG"))[0]
    sqlite_server.cli.ok("bank", "create", "known")
    sqlite_server.cli.ok("bank", "add", "known", str(path))
    buffer = io.BytesIO()
    Image.open(path).save(buffer, format="PNG")
    assert sqlite_server.screen(buffer.getvalue()).json()["decision"] == "block"


def edited_copies(image: Image.Image) -> dict[str, bytes]:
    """Copies that plain PDQ misses, and the view expected to find each."""
    width, height = image.size
    padded = Image.new("RGB", (width + 80, height + 80), (0, 0, 0))
    padded.paste(image, (40, 40))
    framed = Image.new("RGB", (width + 60, height + 220), (250, 250, 250))
    framed.paste(image, (30, 120))
    return {
        "mirrored": jpeg_bytes(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
        "rotated-90": jpeg_bytes(image.transpose(Image.Transpose.ROTATE_90)),
        "trimmed": jpeg_bytes(padded),
        "picture": jpeg_bytes(framed),
        "uncrop-left-5": jpeg_bytes(image.crop((round(width * 0.05), 0, width, height))),
    }


def test_edited_copies_are_blocked_through_the_view_that_undoes_the_edit(
    sqlite_server: Server,
) -> None:
    photos = sorted(PHOTOS.glob("*.JPEG"))
    banked, others = photos[10:13], photos[100:130]
    sqlite_server.cli.ok("bank", "create", "known")
    sqlite_server.cli.ok("bank", "add", "known", *map(str, banked))
    for path in banked:
        with Image.open(path) as image:
            copies = edited_copies(image.convert("RGB"))
        for view, data in copies.items():
            body = sqlite_server.screen(data).json()
            assert body["decision"] == "block", (path.name, view)
            assert body["matches"][0]["view"] != "original", (path.name, view)
    for path in others:
        with Image.open(path) as image:
            for view, data in edited_copies(image.convert("RGB")).items():
                body = sqlite_server.screen(data).json()
                assert body["decision"] == "allow", (path.name, view, body["matches"])
