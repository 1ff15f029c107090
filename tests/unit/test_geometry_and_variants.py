"""Finding the picture inside a frame, and the views that undo common edits."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from safeguard.media.geometry import Box, picture_box
from safeguard.media.variants import ORIGINAL, PICTURE, UPSCALED_2X, query_views, shrink
from safeguard.signals.pdq import PDQ, pdq_views
from tests.conftest import synthetic_photo


def photo(seed: int = 1, size: tuple[int, int] = (400, 300)) -> Image.Image:
    return synthetic_photo(seed, size)


def luma(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.float32)


def framed(picture: Image.Image, background: int, text: bool) -> tuple[Image.Image, Box]:
    """``picture`` on a canvas with margins, a header bar and (optionally) lines of text."""
    width, height = picture.width + 80, picture.height + 200
    canvas = Image.new("RGB", (width, height), (background,) * 3)
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, width, 30), fill=(40, 90, 200))
    if text:
        ink = 255 - background
        for line in range(3):
            draw.text((40, 45 + 20 * line), "a caption under the header", fill=(ink,) * 3)
    canvas.paste(picture, (40, 120))
    return canvas, Box(120, 40, 120 + picture.height, 40 + picture.width)


def assert_near(box: Box | None, expected: Box) -> None:
    """Each side of ``box`` within 3 pixels of ``expected``'s."""
    assert box is not None
    for found, wanted in zip(
        (box.top, box.left, box.bottom, box.right),
        (expected.top, expected.left, expected.bottom, expected.right),
        strict=True,
    ):
        assert abs(found - wanted) <= 3


@pytest.mark.parametrize("background", [0, 255, 238])
@pytest.mark.parametrize("text", [False, True])
def test_the_picture_is_found_inside_a_frame(background: int, text: bool) -> None:
    canvas, expected = framed(photo(), background, text)
    box = picture_box(luma(canvas))
    assert_near(box, expected)


def test_a_letterboxed_portrait_is_found() -> None:
    picture = photo(4, (150, 300))
    canvas = Image.new("RGB", (533, 300))
    canvas.paste(picture, (191, 0))
    box = picture_box(luma(canvas))
    assert box is not None
    assert abs(box.left - 191) <= 2 and abs(box.right - 341) <= 2


def pale_topped(background: int) -> Image.Image:
    """A photo whose top 40% is a smooth sky within 4-10 luma levels of ``background``."""
    pixels = np.asarray(photo(2), dtype=np.float32).copy()
    height, width = pixels.shape[:2]
    sky = round(0.4 * height)
    offset = 4.0 + 6.0 * np.add.outer(np.arange(sky) / sky, np.arange(width) / width) / 2
    level = background - offset if background > 128 else background + offset
    pixels[:sky] = level[:, :, None]
    return Image.fromarray(np.round(pixels).astype(np.uint8))


def jpeg_luma(image: Image.Image, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return luma(Image.open(io.BytesIO(buffer.getvalue())))


@pytest.mark.parametrize("background", [0, 255])
@pytest.mark.parametrize("quality", [90, 60])
def test_a_picture_whose_edge_is_near_the_frame_colour_is_found(
    background: int, quality: int
) -> None:
    canvas, expected = framed(pale_topped(background), background, text=True)
    box = picture_box(jpeg_luma(canvas, quality))
    assert_near(box, expected)


def test_an_unframed_picture_has_no_box() -> None:
    assert picture_box(luma(photo())) is None
    assert picture_box(np.full((100, 100), 128, dtype=np.float32)) is None


def test_shrink_averages_blocks() -> None:
    plane = np.arange(36, dtype=np.float32).reshape(6, 6)
    assert shrink(plane, 1) is plane
    np.testing.assert_allclose(shrink(plane, 3), [[7.0, 10.0], [25.0, 28.0]])


def test_views_are_named_and_small_uploads_get_the_upscaled_view() -> None:
    names = [name for name, _ in pdq_views(luma(photo()))]
    assert names[0] == ORIGINAL
    assert UPSCALED_2X in names
    assert "mirrored" in names and "rotated-90" in names
    assert len(names) == len(set(names))
    large = query_views(luma(photo(2, (1600, 1200))))
    assert UPSCALED_2X not in [view.name for view in large.aligned]
    assert max(large.small.shape) <= 512


def hashes(image: Image.Image) -> dict[str, str]:
    return {name: value.hex for name, value in pdq_views(luma(image))}


def test_views_undo_crops_frames_and_turns() -> None:
    original = photo(6, (480, 360))
    reference = hashes(original)[ORIGINAL]
    cropped = original.crop((0, 0, 432, 360))  # 10% off the right
    framed_copy, _ = framed(original, 255, True)
    turned = original.rotate(-3, Image.Resampling.BILINEAR)  # 3 degrees clockwise
    mirrored = original.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    for copy, view in (
        (cropped, "uncrop-right-10"),
        (framed_copy, PICTURE),
        (turned, "unrotate-minus-3"),
        (mirrored, "mirrored"),
    ):
        views = hashes(copy)
        assert PDQ.distance(views[view], reference) < PDQ.distance(views[ORIGINAL], reference)
        assert PDQ.distance(views[view], reference) <= 31


def test_extreme_shapes_and_tiny_images_still_hash() -> None:
    for size in ((3, 3), (5000, 4), (4, 3000), (64, 64)):
        plane = np.random.default_rng(0).uniform(0, 255, (size[1], size[0])).astype(np.float32)
        names = [name for name, _ in pdq_views(plane)]
        assert names[0] == ORIGINAL
