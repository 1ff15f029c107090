"""Conformance with every expected hash in ../shared's ThreatExchange reference data."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from safeguard.media.decode import DecodeLimits, decode_image
from safeguard.signals.pdq import PDQ, pdq_of_pixels

LIMITS = DecodeLimits(max_bytes=50_000_000, max_pixels=50_000_000)
TOLERANCE = 10
MIN_QUALITY = 80


def _hash(path: Path) -> tuple[str, int]:
    result = pdq_of_pixels(decode_image(path.read_bytes(), LIMITS).pixels)
    return result.hex, result.quality


def _cpp_expectations(reference: Path) -> list[tuple[Path, str]]:
    table = reference / "pdq/wasm/test/TestData/PDQMD5TestData.csv"
    rows = []
    with table.open() as handle:
        for row in csv.DictReader(handle):
            if len(row["Hash"]) == 64:  # 32-character rows are MD5s of videos
                # Paths climb out of the wasm test folder to the PDQ data folder.
                relative = row["FilePath"].replace("../", "")
                rows.append((reference / "pdq" / relative, row["Hash"]))
    return rows


def _python_expectations(reference: Path) -> list[tuple[Path, str]]:
    source = (reference / "expected/pdq_python_pdqhashing_tests_pdq_test.py").read_text()
    pairs = re.findall(r'"([^"]+\.(?:jpg|png))",\s*"([0-9a-f]{64})"', source)
    return [(reference / "pdq/data" / path, expected) for path, expected in pairs]


def _hash_like_pure_python_reference(path: Path) -> tuple[str, int]:
    """The pure-Python reference hashes a Pillow thumbnail of at most 512x512 pixels."""
    with Image.open(path) as image:
        image.thumbnail((512, 512))
        result = pdq_of_pixels(np.asarray(image.convert("RGB")))
    return result.hex, result.quality


def _checked(
    rows: list[tuple[Path, str]], hasher: Callable[[Path], tuple[str, int]] = _hash
) -> int:
    checked = 0
    for path, expected in rows:
        if not path.exists():
            continue  # the shared copy leaves out a few files of the reference set
        ours, quality = hasher(path)
        if quality >= MIN_QUALITY:
            assert PDQ.distance(ours, expected) <= TOLERANCE, f"{path.name}: {ours} vs {expected}"
            checked += 1
    return checked


def test_cpp_reference_hashes(shared_data: Path) -> None:
    assert _checked(_cpp_expectations(shared_data / "reference/threatexchange")) >= 12


def test_pure_python_reference_hashes(shared_data: Path) -> None:
    rows = _python_expectations(shared_data / "reference/threatexchange")
    assert _checked(rows, _hash_like_pure_python_reference) >= 10


def test_python_threatexchange_hashes(shared_data: Path) -> None:
    resources = shared_data / "reference/threatexchange/python-threatexchange/threatexchange"
    resources = resources / "tests/hashing/resources"
    ours, quality = _hash(resources / "rgb.jpeg")
    assert quality == 100
    expected = "fb4eed46cb8a6c78819ca06b756c541f7b07ef6d02c82fccd00f862166272cda"
    assert PDQ.distance(ours, expected) == 0


@pytest.mark.parametrize(
    ("name", "turns"), [("exif-rotn-3.jpg", 2), ("exif-rotn-6.jpg", -1), ("exif-rotn-8.jpg", 1)]
)
def test_exif_orientation_is_applied(shared_data: Path, name: str, turns: int) -> None:
    path = shared_data / "reference/threatexchange/pdq/data/reg-test-input/exif-rotn" / name
    decoded = decode_image(path.read_bytes(), LIMITS).pixels
    with Image.open(path) as image:
        stored = np.asarray(image.convert("RGB"))  # the pixels as stored, tag ignored
    upright = np.rot90(stored, k=turns)
    assert decoded.shape == upright.shape
    assert pdq_of_pixels(decoded).hex == pdq_of_pixels(np.ascontiguousarray(upright)).hex


@pytest.mark.parametrize(
    "name",
    [
        "1.png",
        "CMYK.jpg",
        "F.webp",
        "HSV.webp",
        "I.webp",
        "L.png",
        "LA.png",
        "LAB.webp",
        "P.png",
        "PA.webp",
        "RGB.jpg",
        "RGBA.png",
        "YCbCr.jpg",
    ],
)
def test_every_pil_mode_decodes_close_to_the_original(shared_data: Path, name: str) -> None:
    folder = shared_data / "reference/threatexchange/pdq/data/misc-images/modes"
    original, _ = _hash(folder / "original.jpg")
    ours, quality = _hash(folder / name)
    assert quality > 0
    limit = 64 if name == "1.png" else 31  # 1-bit dithering changes the picture most
    assert PDQ.distance(ours, original) <= limit
