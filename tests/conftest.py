"""Shared fixtures: reference data paths, image factories, databases, a real server."""

from __future__ import annotations

import io
import os
import sqlite3
import struct
import uuid
import zlib
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from argon2 import PasswordHasher
from PIL import Image
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from safeguard.moderation import people
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
SHARED = ROOT.parent / "shared" / "data"
REFERENCE = SHARED / "reference" / "threatexchange"
PHOTOS = SHARED / "photos"
POSTGRES_URL = os.environ.get("SAFEGUARD_TEST_POSTGRES_URL")


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``; the test is skipped when it is absent (a user's fresh clone)."""
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def strip_png(width: int, height: int) -> bytes:
    """A grey PNG of one colour, compressed a slice of rows at a time, never decoded: even
    1 x 49,000,000 pixels take about 95 KB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    row = b"\x00" + b"\x80" * width  # filter type 0, then mid-grey pixels
    rows_per_slice = max(1, 1_000_000 // len(row))
    deflate = zlib.compressobj(9)
    slices = [
        deflate.compress(row * min(rows_per_slice, height - done))
        for done in range(0, height, rows_per_slice)
    ]
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    idat = b"".join(slices) + deflate.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def synthetic_photo(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A smooth random image with photo-like structure (blurred noise plus shapes)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize(size, Image.Resampling.BICUBIC)
    return image


def postgres_database(template: str | None = None) -> Iterator[str]:
    """The URL of a new PostgreSQL database, dropped afterwards (skips without a server):
    empty, or a copy of the database named ``template``."""
    if POSTGRES_URL is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: set SAFEGUARD_TEST_POSTGRES_URL")
        pytest.skip("SAFEGUARD_TEST_POSTGRES_URL is not set")
    name = f"safeguard_test_{uuid.uuid4().hex[:12]}"
    copied = f' TEMPLATE "{template}"' if template else ""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copied}'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, made once per test process, that tests copy."""
    path = tmp_path_factory.mktemp("template") / "safeguard.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    """The name of a migrated PostgreSQL database, made once per test process, that
    tests copy (``CREATE DATABASE ... TEMPLATE``)."""
    for url in postgres_database():
        upgrade(url)
        yield str(make_url(url).database)


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def fresh_database(request: pytest.FixtureRequest, kind: str, folder: Path) -> Iterator[str]:
    """The URL of a new migrated database of ``kind``: a copy of the one migrated per test
    process, which is quicker than migrating (SQLite's file goes in ``folder``)."""
    if kind == "sqlite":
        path = folder / "safeguard.db"
        template = request.getfixturevalue("migrated_sqlite")
        with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as target:
            source.backup(target)
        yield f"sqlite:///{path}"
    else:
        yield from postgres_database(request.getfixturevalue("migrated_postgres"))


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database: SQLite always, PostgreSQL when a server is configured."""
    yield from fresh_database(request, request.param, tmp_path)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A ``Database`` on ``database_url`` (SQLite, and PostgreSQL when configured)."""
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def quick_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small costs, so that making users and logging in is quick."""
    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(people, "PASSWORD_HASHER", quick)
