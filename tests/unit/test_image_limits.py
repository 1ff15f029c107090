"""Side and aspect-ratio caps: slivers are refused from the header, long pictures are not."""

from __future__ import annotations

import pytest

from safeguard.config import (
    DEFAULT_MAX_IMAGE_ASPECT_RATIO,
    DEFAULT_MAX_IMAGE_SIDE,
    Settings,
)
from safeguard.errors import ConfigError, ImageTooLarge, UndecodableMedia
from safeguard.media.decode import DecodeLimits, decode_image
from safeguard.screening.signals import content_signals
from tests.conftest import jpeg_bytes, strip_png, synthetic_photo

LIMITS = DecodeLimits(max_bytes=50_000_000, max_pixels=50_000_000)


def test_the_strip_is_a_valid_png() -> None:
    image = decode_image(strip_png(7, 5), LIMITS)
    assert image.pixels.shape == (5, 7) and (image.pixels == 128).all()


@pytest.mark.parametrize("size", [(1, 1_000_000), (1_000_000, 1), (1, 49_000_000)])
def test_a_side_over_the_cap_is_refused_from_the_header(size: tuple[int, int]) -> None:
    data = strip_png(*size)
    assert len(data) < 100_000  # within the pixel and byte caps: only the side is over
    with pytest.raises(ImageTooLarge, match=f"limit of {DEFAULT_MAX_IMAGE_SIDE} pixels a side"):
        content_signals(data, LIMITS)


@pytest.mark.parametrize("size", [(1, 10_000), (20_000, 150), (3, 301)])
def test_a_sliver_over_the_aspect_ratio_cap_is_refused(size: tuple[int, int]) -> None:
    with pytest.raises(
        UndecodableMedia, match=f"aspect ratio limit of {DEFAULT_MAX_IMAGE_ASPECT_RATIO}:1"
    ):
        decode_image(strip_png(*size), LIMITS)


@pytest.mark.parametrize("size", [(800, 20_000), (32_768, 328), (3, 300), (1, 1)])
def test_long_pictures_within_the_caps_decode(size: tuple[int, int]) -> None:
    assert decode_image(strip_png(*size), LIMITS).pixels.shape == (size[1], size[0])


def test_a_long_picture_is_hashed_with_every_view() -> None:
    signals = content_signals(jpeg_bytes(synthetic_photo(6, (300, 6000))), LIMITS)
    own = signals.own("pdq")
    assert own is not None and own.quality is not None and own.quality > 0
    assert len(signals.values["pdq"]) > 10


def test_side_and_aspect_caps_are_configurable() -> None:
    settings = Settings.from_env(
        {"SAFEGUARD_MAX_IMAGE_SIDE": "1000", "SAFEGUARD_MAX_IMAGE_ASPECT_RATIO": "4"}
    )
    limits = DecodeLimits.from_settings(settings)
    assert (limits.max_side, limits.max_aspect_ratio) == (1000, 4)
    assert decode_image(strip_png(1000, 250), limits).pixels.shape == (250, 1000)
    with pytest.raises(ImageTooLarge, match="limit of 1000 pixels a side"):
        decode_image(strip_png(1001, 500), limits)
    with pytest.raises(UndecodableMedia, match="aspect ratio limit of 4:1"):
        decode_image(strip_png(249, 1000), limits)


def test_defaults_apply_without_configuration() -> None:
    limits = DecodeLimits.from_settings(Settings.from_env({}))
    assert limits.max_side == DEFAULT_MAX_IMAGE_SIDE == LIMITS.max_side
    assert limits.max_aspect_ratio == DEFAULT_MAX_IMAGE_ASPECT_RATIO == LIMITS.max_aspect_ratio


@pytest.mark.parametrize("name", ["SAFEGUARD_MAX_IMAGE_SIDE", "SAFEGUARD_MAX_IMAGE_ASPECT_RATIO"])
@pytest.mark.parametrize("bad", ["0", "-3", "wide"])
def test_bad_cap_values_are_refused(name: str, bad: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: bad})
