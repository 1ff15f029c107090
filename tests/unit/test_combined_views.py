"""Each view that undoes edits in combination brings an edited copy of a generated photo
within that view's threshold of the original's hash, and nearer than the copy itself."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from safeguard.config import DEFAULT_PDQ_VIEW_ALLOWANCE
from safeguard.media.variants import TURNED_UNCROPS, UNCROPS
from safeguard.media.view_axes import aspect_shares
from safeguard.screening.views import edit_view_threshold
from safeguard.signals.pdq import DEFAULT_THRESHOLD, MAX_THRESHOLD, PDQ, pdq_views
from tests.conftest import synthetic_photo

Edit = Callable[[Image.Image], Image.Image]


def hashes(image: Image.Image) -> dict[str, str]:
    plane = np.asarray(image.convert("L"), dtype=np.float32)
    return {name: value.hex for name, value in pdq_views(plane)}


def crop(top: float, bottom: float, left: float, right: float) -> Edit:
    def edit(image: Image.Image) -> Image.Image:
        w, h = image.size
        box = (round(w * left), round(h * top), w - round(w * right), h - round(h * bottom))
        return image.crop(box)

    return edit


def chain(*edits: Edit) -> Edit:
    def edit(image: Image.Image) -> Image.Image:
        for step in edits:
            image = step(image)
        return image

    return edit


def mirror(image: Image.Image) -> Image.Image:
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def turn(degrees: float) -> Edit:
    return lambda image: image.rotate(degrees, Image.Resampling.BICUBIC)


def right_angle(transpose: Image.Transpose) -> Edit:
    return lambda image: image.transpose(transpose)


def framed(image: Image.Image) -> Image.Image:
    """The photo in a post: a header bar and a line of caption above, margins around."""
    canvas = Image.new("RGB", (image.width + 60, image.height + 200), (250, 250, 250))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, canvas.width, 30), fill=(40, 90, 200))
    draw.text((30, 50), "look at this photo from the trip", fill=(20, 20, 20))
    canvas.paste(image, (30, 120))
    return canvas


def captioned(image: Image.Image) -> Image.Image:
    """The photo under a white caption bar of 16% of its height, with a line of text."""
    bar = round(image.height * 0.16)
    canvas = Image.new("RGB", (image.width, image.height + bar), (255, 255, 255))
    ImageDraw.Draw(canvas).text((10, bar // 3), "what do you think of this", fill=(20, 20, 20))
    canvas.paste(image, (0, bar))
    return canvas


def aspect_box(size: tuple[int, int], aspect: float, offset: float) -> tuple[int, int, int, int]:
    """The largest box of ``aspect`` (inverted for a portrait) at ``offset`` along the cut."""
    w, h = size
    wanted = aspect if w >= h else 1.0 / aspect
    cw, ch = (round(h * wanted), h) if w / h > wanted else (w, round(w / wanted))
    x, y = round((w - cw) * offset), round((h - ch) * offset)
    return x, y, x + cw, y + ch


def aspect_crop(aspect: float, offset: float) -> Edit:
    return lambda image: image.crop(aspect_box(image.size, aspect, offset))


CENTRE_5 = crop(0.025, 0.025, 0.025, 0.025)
LANDSCAPE, PORTRAIT = (480, 360), (360, 480)
CASES: list[tuple[str, tuple[int, int], Edit]] = [
    ("unrotate-3+uncrop-centre-5", LANDSCAPE, chain(turn(3), CENTRE_5)),
    ("unrotate-minus-3+uncrop-centre-5", LANDSCAPE, chain(turn(-3), CENTRE_5)),
    ("unrotate-3+mirrored", LANDSCAPE, chain(mirror, turn(3))),
    ("unrotate-minus-3+mirrored", LANDSCAPE, chain(mirror, turn(-3))),
    ("trimmed+uncrop-centre-5", LANDSCAPE, chain(CENTRE_5, lambda i: ImageOps.expand(i, 30))),
    ("trimmed+mirrored", LANDSCAPE, chain(mirror, lambda i: ImageOps.expand(i, 30))),
    ("picture+uncrop-centre-5", LANDSCAPE, chain(CENTRE_5, framed)),
    ("picture+mirrored", LANDSCAPE, chain(mirror, framed)),
    ("uncaption-14", LANDSCAPE, captioned),
    ("uncaption-14+uncrop-centre-5", LANDSCAPE, chain(CENTRE_5, captioned)),
]
TURN_EDITS: dict[str, Edit] = {
    "mirrored": mirror,
    "rotated-90": right_angle(Image.Transpose.ROTATE_90),
    "rotated-270": right_angle(Image.Transpose.ROTATE_270),
}
"""The edit each turn view undoes (PIL's ROTATE_90 turns anticlockwise)."""
CASES += [  # two adjacent sides cropped, by equal or unequal shares
    (uncrop, LANDSCAPE, crop(*shares))
    for uncrop, shares in UNCROPS.items()
    if sum(share > 0 for share in shares) == 2
]
CASES += [
    (f"{turn}+{uncrop}", LANDSCAPE, chain(crop(*UNCROPS[uncrop]), TURN_EDITS[turn]))
    for turn, uncrops in TURNED_UNCROPS.items()
    for uncrop in uncrops
]


ASPECT_CASES = [
    (f"uncrop-{crop}-of-{original}-{part}", size, aspect, offset)
    for crop, aspect in (("1:1", 1.0), ("16:9", 16 / 9))
    for original, size in (("4:3", LANDSCAPE), ("4:3", PORTRAIT), ("3:2", (480, 320)))
    for part, offset in zip(
        ("left", "middle", "right")
        if (aspect == 1.0) == (size[0] > size[1])
        else ("top", "centre", "bottom"),
        (0.0, 0.5, 1.0),
        strict=True,
    )
]


@pytest.mark.parametrize(("view", "size", "edit"), CASES, ids=[case[0] for case in CASES])
def test_the_view_of_an_edited_copy_lands_near_the_original(
    view: str, size: tuple[int, int], edit: Edit
) -> None:
    original = synthetic_photo(7, size)
    reference = hashes(original)["original"]
    views = hashes(edit(original))
    distance = PDQ.distance(views[view], reference)
    allowed = edit_view_threshold(
        DEFAULT_THRESHOLD, DEFAULT_PDQ_VIEW_ALLOWANCE, MAX_THRESHOLD, view
    )
    assert distance <= allowed, (view, distance, allowed)
    assert distance < PDQ.distance(views["original"], reference)


def test_aspect_views_are_offered_only_to_uploads_of_that_aspect() -> None:
    assert aspect_shares((360, 480), 1.0, 4 / 3) == {}
    square = aspect_shares((300, 300), 1.0, 4 / 3)
    assert set(square) == {"left", "middle", "right", "top", "centre", "bottom"}
    assert square["left"] == (0.0, 0.0, 0.0, 0.25)
    assert set(aspect_shares((270, 480), 16 / 9, 3 / 2)) == {"top", "centre", "bottom"}


@pytest.mark.parametrize(
    ("view", "size", "aspect", "offset"), ASPECT_CASES, ids=[case[0] for case in ASPECT_CASES]
)
def test_an_aspect_view_lays_the_crop_where_it_was_in_the_original(
    view: str, size: tuple[int, int], aspect: float, offset: float
) -> None:
    """A quarter of the original is gone, so how near the view lands depends on what was
    there; an original whose cut-away parts continue its kept part's edges is undone
    exactly, which shows the view puts the crop back in its place."""
    box = aspect_box(size, aspect, offset)
    kept = np.asarray(synthetic_photo(7, size).crop(box))
    pad = ((box[1], size[1] - box[3]), (box[0], size[0] - box[2]), (0, 0))
    original = Image.fromarray(np.pad(kept, pad, mode="edge"))
    views = hashes(original.crop(box))
    reference = hashes(original)["original"]
    assert PDQ.distance(views[view], reference) <= 8, view
    assert PDQ.distance(views["original"], reference) > 8
