"""Safe decoding: caps, bombs, truncation, modes, orientation, animation."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from safeguard.errors import (
    ContentTooLarge,
    EmptyContent,
    ImageTooLarge,
    UndecodableMedia,
    UnsupportedMedia,
)
from safeguard.media.decode import DecodeLimits, decode_image, to_8bit_pixels
from tests.conftest import jpeg_bytes, png_bytes, synthetic_photo

LIMITS = DecodeLimits(max_bytes=5_000_000, max_pixels=4_000_000)


def test_decodes_jpeg_to_rgb() -> None:
    image = decode_image(jpeg_bytes(synthetic_photo(1)), LIMITS)
    assert image.pixels.shape == (240, 320, 3) and image.pixels.dtype == np.uint8
    assert image.format == "JPEG" and (image.width, image.height) == (320, 240)


def test_empty_content_is_refused() -> None:
    with pytest.raises(EmptyContent):
        decode_image(b"", LIMITS)


def test_content_over_the_byte_cap_is_refused_before_decoding() -> None:
    with pytest.raises(ContentTooLarge):
        decode_image(b"\xff" * (LIMITS.max_bytes + 1), LIMITS)


def test_non_image_is_unsupported() -> None:
    with pytest.raises(UnsupportedMedia):
        decode_image(b"%PDF-1.4 not an image at all", LIMITS)


def test_formats_that_run_external_programs_are_not_opened() -> None:
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    with pytest.raises(UnsupportedMedia):
        decode_image(eps, LIMITS)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_jpeg_is_undecodable(keep: float) -> None:
    data = jpeg_bytes(synthetic_photo(2))
    with pytest.raises(UndecodableMedia):
        decode_image(data[: int(len(data) * keep)], LIMITS)


def test_corrupt_header_is_undecodable() -> None:
    data = bytearray(png_bytes(synthetic_photo(3)))
    data[16:24] = b"\xff" * 8  # width and height in the IHDR chunk
    with pytest.raises((UndecodableMedia, UnsupportedMedia, ImageTooLarge)):
        decode_image(bytes(data), LIMITS)


def test_decompression_bomb_is_refused_without_decoding() -> None:
    bomb = png_bytes(Image.new("1", (8000, 8000)))  # 64 MP of zeros: a few kilobytes
    assert len(bomb) < 20_000
    with pytest.raises(ImageTooLarge):
        decode_image(bomb, LIMITS)


def test_pixel_cap_is_configurable() -> None:
    data = png_bytes(Image.new("L", (100, 100)))
    with pytest.raises(ImageTooLarge):
        decode_image(data, DecodeLimits(max_bytes=LIMITS.max_bytes, max_pixels=9_999))
    assert decode_image(data, DecodeLimits(max_bytes=LIMITS.max_bytes, max_pixels=10_000))


def test_animated_gif_gives_its_first_frame() -> None:
    frames = [Image.new("RGB", (40, 30), color) for color in ((200, 10, 10), (10, 200, 10))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    pixels = decode_image(buffer.getvalue(), LIMITS).pixels
    assert pixels[0, 0, 0] > 150 and pixels[0, 0, 1] < 60


def test_exif_orientation_is_applied() -> None:
    upright = synthetic_photo(4, (120, 80))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what a camera held sideways stores
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise
    buffer = io.BytesIO()
    stored.save(buffer, format="PNG", exif=exif)
    pixels = decode_image(buffer.getvalue(), LIMITS).pixels
    assert pixels.shape == (80, 120, 3)
    assert np.abs(pixels.astype(int) - np.asarray(upright).astype(int)).max() == 0


@pytest.mark.parametrize(
    "mode",
    [
        "1",
        "L",
        "LA",
        "La",
        "P",
        "PA",
        "RGBA",
        "RGBa",
        "CMYK",
        "YCbCr",
        "HSV",
        "LAB",
        "I",
        "F",
        "I;16",
    ],
)
def test_every_pil_mode_becomes_8_bit(mode: str) -> None:
    source = synthetic_photo(5, (64, 48))
    if mode == "I;16":
        image = Image.fromarray(np.asarray(source.convert("L")).astype(np.uint16) * 257)
    elif mode == "La":
        image = source.convert("LA").convert("La")
    else:
        image = source.convert(mode)
    pixels = to_8bit_pixels(image)
    assert pixels.dtype == np.uint8 and pixels.shape[:2] == (48, 64)
    grey = pixels if pixels.ndim == 2 else pixels.mean(axis=2)
    assert grey.std() > 5  # the picture survived, not a flat or clipped plane


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    values = np.linspace(0, 65535, 64 * 48).reshape(48, 64).astype(np.uint16)
    image = Image.fromarray(values)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pixels = decode_image(buffer.getvalue(), LIMITS).pixels
    assert pixels.min() == 0 and pixels.max() == 255 and len(np.unique(pixels)) > 200


def test_large_jpegs_decode_reduced_and_grey_when_asked() -> None:
    data = jpeg_bytes(synthetic_photo(3, (3200, 2400)))
    limits = DecodeLimits(max_bytes=50_000_000, max_pixels=50_000_000)
    assert decode_image(data, limits).pixels.shape == (2400, 3200, 3)
    assert decode_image(data, limits, reduce_to=750).pixels.shape == (1200, 1600)
    assert decode_image(data, limits, reduce_to=600).pixels.shape == (600, 800)
    assert decode_image(data, limits, reduce_to=100).pixels.shape == (300, 400)
    assert decode_image(data, limits, reduce_to=3000).pixels.shape == (2400, 3200)


def test_reduction_applies_only_to_jpeg() -> None:
    data = png_bytes(synthetic_photo(3, (1600, 1200)))
    assert decode_image(data, LIMITS, reduce_to=200).pixels.shape == (1200, 1600, 3)


def test_reduced_decode_keeps_exif_orientation() -> None:
    image = synthetic_photo(4, (1600, 1000))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    assert decode_image(buffer.getvalue(), LIMITS, reduce_to=400).pixels.shape == (800, 500)
