"""PDQ: bit-for-bit equal to the reference binding on identical pixels, and conformant
with the reference hashes of the shipped fixture images."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from safeguard.media.decode import DecodeLimits, decode_image
from safeguard.signals.pdq import PDQ, pdq_of_pixels
from safeguard.signals.pdq_kernel import hash_pixels
from tests.conftest import FIXTURES

LIMITS = DecodeLimits(max_bytes=50_000_000, max_pixels=50_000_000)
CONFORMANCE_QUALITY = 80
CONFORMANCE_BITS = 10


def reference_hex(rgb: np.ndarray) -> tuple[str, int]:
    """The hash of the C++ reference (via the pdqhash binding) in PDQ's hex order."""
    bits, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    return f"{int(''.join(str(int(b)) for b in bits), 2):064x}", int(quality)


def fixture_rows() -> list[dict[str, str]]:
    with (FIXTURES / "reference" / "expected.csv").open() as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("row", fixture_rows(), ids=lambda r: r["file"])
def test_fixture_hashes_conform_to_reference(row: dict[str, str]) -> None:
    image = decode_image((FIXTURES / "reference" / row["file"]).read_bytes(), LIMITS)
    ours = pdq_of_pixels(image.pixels)
    if row["quality"]:
        assert ours.quality == int(row["quality"])
    if ours.quality >= CONFORMANCE_QUALITY:
        assert PDQ.distance(ours.hex, row["pdq"]) <= CONFORMANCE_BITS


@pytest.mark.parametrize("name", ["square-512x512.jpg", "q0122.jpg", "rgb.jpeg", "wee.jpg"])
def test_equals_reference_bit_for_bit_on_fixture_pixels(name: str) -> None:
    pixels = decode_image((FIXTURES / "reference" / name).read_bytes(), LIMITS).pixels
    rgb = pixels if pixels.ndim == 3 else np.repeat(pixels[:, :, None], 3, axis=2)
    ours = pdq_of_pixels(rgb)
    assert (ours.hex, ours.quality) == reference_hex(rgb)


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        np.uint8,
        st.tuples(st.integers(5, 140), st.integers(5, 140), st.just(3)),
        elements=st.integers(0, 255),
    )
)
def test_equals_reference_bit_for_bit_on_random_pixels(rgb: np.ndarray) -> None:
    ours = pdq_of_pixels(rgb)
    assert (ours.hex, ours.quality) == reference_hex(rgb)


def test_64x64_input_skips_the_blur_like_the_reference() -> None:
    rgb = np.random.default_rng(7).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert (pdq_of_pixels(rgb).hex, pdq_of_pixels(rgb).quality) == reference_hex(rgb)


def test_images_under_five_pixels_hash_to_zero_with_quality_zero() -> None:
    code, quality = hash_pixels(np.zeros((4, 100, 3), dtype=np.uint8))
    assert code == bytes(32) and quality == 0


def test_flat_image_has_quality_zero() -> None:
    assert pdq_of_pixels(np.full((100, 100), 128, dtype=np.uint8)).quality == 0


def test_hash_sets_half_the_bits() -> None:
    rgb = np.random.default_rng(3).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    assert bin(int(pdq_of_pixels(rgb).hex, 16)).count("1") == 128


def test_rejects_other_dtypes_and_shapes() -> None:
    with pytest.raises(TypeError):
        hash_pixels(np.zeros((10, 10), dtype=np.float32))
    with pytest.raises(ValueError):
        hash_pixels(np.zeros((10, 10, 4), dtype=np.uint8))


def test_fixture_licence_ships_with_the_images() -> None:
    assert "BSD" in (Path(FIXTURES) / "reference" / "LICENSE").read_text()
