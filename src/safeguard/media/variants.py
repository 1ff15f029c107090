"""The views of an upload that are hashed and looked up beside the upload itself.

Hash lists hold the PDQ hash of the original image; uploads are often edited copies of
it. Each view here undoes one common edit, as far as that can be done from the copy:

- ``upscaled-2x``: PDQ's box filter works in whole pixels, so a small copy blurs and
  shifts differently than the larger original did. Hashing the copy upscaled 2x brings a
  half-size copy of a 500-pixel photo from a median 16 bits to about 3.
- ``trimmed``: the upload without plain borders: padding, letterbox and pillarbox bars
  (``geometry.trimmed_box``).
- ``picture``: the picture inside a caption bar or a screenshot frame, whose surround is
  plain but for text and icons (``geometry.picture_box``); ``uncaption-14``: the upload
  without a caption bar of common height, when its top rows are plain.
- ``uncrop-*``: a copy cropped by a few percent has its content shifted and scaled against
  PDQ's grid; extending the copy's edges back to the original's extent realigns it. One
  side, two adjacent sides (by equal or unequal shares), all four; and square or 16:9
  uploads back to a 4:3 or 3:2 original, for each part of it they may have kept.
- ``unrotate-*``: a copy turned by a few degrees, turned back (and mirrored, or uncropped).
- ``<a>+<b>``: edits in combination, undone in turn: a mirror, then a crop in the middle,
  on one side or at a corner; a right-angle turn, then a crop in the middle or on one side
  (``view_axes``); the picture inside a frame, mirrored or uncropped.

- ``mirrored``, ``rotated-90`` and the other turns by right angles: the upload read with
  reversed or swapped axes. (Taking them from the DCT's symmetries, as Meta's reference
  can, is cheaper but puts a median 10 bits, up to 52, between a mirrored copy and its
  original, because PDQ's box filter is not symmetric.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from safeguard.media.geometry import Box, picture_box, trimmed_box
from safeguard.media.view_axes import (
    DIHEDRAL,
    NO_CROP,
    AlignedView,
    Shares,
    aligned_view,
    aspect_shares,
)
from safeguard.signals.base import ORIGINAL_VIEW
from safeguard.signals.pdq_views import Axis

UPSCALE_BELOW = 1024  # longest side, in pixels, under which the 2x view is added
ORIGINAL = ORIGINAL_VIEW
UPSCALED_2X = "upscaled-2x"
PICTURE = "picture"
TRIMMED = "trimmed"
MIRRORED = "mirrored"
CENTRE_5: Shares = (0.025, 0.025, 0.025, 0.025)

UNCROPS: dict[str, Shares] = {
    "uncrop-centre-5": CENTRE_5,
    "uncrop-centre-10": (0.05, 0.05, 0.05, 0.05),
    "uncrop-top-5": (0.05, 0.0, 0.0, 0.0),
    "uncrop-bottom-5": (0.0, 0.05, 0.0, 0.0),
    "uncrop-left-5": (0.0, 0.0, 0.05, 0.0),
    "uncrop-right-5": (0.0, 0.0, 0.0, 0.05),
    "uncrop-top-10": (0.1, 0.0, 0.0, 0.0),
    "uncrop-bottom-10": (0.0, 0.1, 0.0, 0.0),
    "uncrop-left-10": (0.0, 0.0, 0.1, 0.0),
    "uncrop-right-10": (0.0, 0.0, 0.0, 0.1),
    "uncrop-top-left-5": (0.05, 0.0, 0.05, 0.0),
    "uncrop-top-right-5": (0.05, 0.0, 0.0, 0.05),
    "uncrop-bottom-left-5": (0.0, 0.05, 0.05, 0.0),
    "uncrop-bottom-right-5": (0.0, 0.05, 0.0, 0.05),
    "uncrop-top-2.5-left-7.5": (0.025, 0.0, 0.075, 0.0),
    "uncrop-top-7.5-left-2.5": (0.075, 0.0, 0.025, 0.0),
    "uncrop-top-2.5-right-7.5": (0.025, 0.0, 0.0, 0.075),
    "uncrop-top-7.5-right-2.5": (0.075, 0.0, 0.0, 0.025),
    "uncrop-bottom-2.5-left-7.5": (0.0, 0.025, 0.075, 0.0),
    "uncrop-bottom-7.5-left-2.5": (0.0, 0.075, 0.025, 0.0),
    "uncrop-bottom-2.5-right-7.5": (0.0, 0.025, 0.0, 0.075),
    "uncrop-bottom-7.5-right-2.5": (0.0, 0.075, 0.0, 0.025),
}
"""Name -> shares of the original's sides cropped away: the middle, one side, or two
adjacent sides by the same share or by unequal ones."""
_SIDES_5 = ("uncrop-top-5", "uncrop-bottom-5", "uncrop-left-5", "uncrop-right-5")
_CORNERS_5 = (
    "uncrop-top-left-5",
    "uncrop-top-right-5",
    "uncrop-bottom-left-5",
    "uncrop-bottom-right-5",
)
TURNED_UNCROPS: dict[str, tuple[str, ...]] = {
    MIRRORED: ("uncrop-centre-5", *_SIDES_5, *_CORNERS_5),
    "rotated-90": ("uncrop-centre-5", *_SIDES_5),
    "rotated-270": ("uncrop-centre-5", *_SIDES_5),
}
"""Turns composed with uncrops ("<turn>+<uncrop>"): a mirrored copy cropped in the middle,
on one side or at a corner; a copy turned by a right angle, cropped in the middle or on
one side. The uncrop's sides are the original's, as the view shows it."""
FRAMED = {"": NO_CROP, "+uncrop-centre-5": CENTRE_5}
"""The picture inside a frame, and the frame's trimmed box: as found, uncropped, and both
mirrored ("picture+mirrored")."""
UNCAPTION = "uncaption-14"
CAPTION_SHARE = 0.14
"""An upload whose top rows are plain may have a caption bar above the picture, whose
text stops the trimming: bars of 12-20% of a picture's height are 11-17% of the upload's,
and the view without the top 14% of the upload lands within a few percent of the picture."""
ASPECT_UNCROPS = {"1:1": 1.0, "16:9": 16 / 9}
ORIGINAL_ASPECTS = {"4:3": 4 / 3, "3:2": 3 / 2}
"""Uploads of these aspects may be crops of originals of those: "uncrop-1:1-of-4:3-left"."""
_TURNS = (3.0, -3.0, 5.0, -5.0)  # degrees to turn the upload clockwise
_TURNS_COMBINED = (3.0, -3.0)  # ... also mirrored after, or uncropped by 5% first
_UNCROP_SCALE = 1.0 / 0.95
_SMALL_SIDE = 512  # turned views and the picture box come from a copy at most this large
_MIN_SMALL_SIDE = 16


@dataclass(frozen=True)
class TurnedView:
    """The upload turned clockwise by a few degrees about its centre; ``scale`` above 1
    also extends it (undoing a centred crop), and ``mirrored`` mirrors it after."""

    name: str
    degrees: float
    scale: float = 1.0
    mirrored: bool = False


@dataclass(frozen=True)
class QueryViews:
    """The views of one luma plane; turned views are taken from ``small``, a reduced copy."""

    plane: np.ndarray
    small: np.ndarray
    aligned: list[AlignedView]
    turned: list[TurnedView]


def query_views(plane: np.ndarray) -> QueryViews:
    """Every view of an (h, w) float32 luma plane to hash, the plane itself first."""
    shape = height, width = plane.shape
    whole = Box(0, 0, height, width)
    aligned = [aligned_view(turn, shape, whole, turn) for turn in DIHEDRAL]
    if max(height, width) < UPSCALE_BELOW:
        rows, cols = Axis(height, 2 * height, 0.0, 0.5), Axis(width, 2 * width, 0.0, 0.5)
        aligned.append(AlignedView(UPSCALED_2X, rows, cols))
    factor = max(1, -(-max(height, width) // _SMALL_SIDE))
    small = shrink(plane, factor)
    if min(small.shape) < _MIN_SMALL_SIDE:  # a sliver: neither framed nor turned
        return QueryViews(plane, small, aligned, [])
    aligned += _framed(plane, small, factor)
    aligned += [aligned_view(name, shape, whole, shares=s) for name, s in UNCROPS.items()]
    for turn, uncrops in TURNED_UNCROPS.items():
        for name in uncrops:
            aligned.append(aligned_view(f"{turn}+{name}", shape, whole, turn, UNCROPS[name]))
    for crop, crop_aspect in ASPECT_UNCROPS.items():
        for original, aspect in ORIGINAL_ASPECTS.items():
            for part, shares in aspect_shares(shape, crop_aspect, aspect).items():
                name = f"uncrop-{crop}-of-{original}-{part}"
                aligned.append(aligned_view(name, shape, whole, shares=shares))
    return QueryViews(plane, small, aligned, _turned())


def _framed(plane: np.ndarray, small: np.ndarray, factor: int) -> list[AlignedView]:
    """Views of the box without plain borders and of the picture inside a frame."""
    height, width = plane.shape
    views = []
    for name, box in ((TRIMMED, trimmed_box(plane)), (PICTURE, picture_box(small))):
        if box is None:
            continue
        if name == PICTURE:
            box = Box(
                box.top * factor,
                box.left * factor,
                min(height, box.bottom * factor),
                min(width, box.right * factor),
            )
        for suffix, shares in FRAMED.items():
            views.append(aligned_view(name + suffix, plane.shape, box, shares=shares))
            if name == TRIMMED and box.top > 0:  # plain rows on top: perhaps a caption bar
                below = Box(round(height * CAPTION_SHARE), 0, height, width)
                views.append(aligned_view(UNCAPTION + suffix, plane.shape, below, shares=shares))
        views.append(aligned_view(f"{name}+{MIRRORED}", plane.shape, box, MIRRORED))
    return views


def _turned() -> list[TurnedView]:
    views = [TurnedView(_turn_name(degrees), degrees) for degrees in _TURNS]
    for degrees in _TURNS_COMBINED:
        name = _turn_name(degrees)
        views.append(TurnedView(f"{name}+uncrop-centre-5", degrees, scale=_UNCROP_SCALE))
        views.append(TurnedView(f"{name}+{MIRRORED}", degrees, mirrored=True))
    return views


def _turn_name(degrees: float) -> str:
    return f"unrotate-{'minus-' if degrees < 0 else ''}{abs(degrees):g}"


@njit(cache=True, nogil=True)
def shrink(plane: np.ndarray, factor: int) -> np.ndarray:
    """The plane reduced by an integer factor, each pixel the mean of a factor x factor
    block (a partial last row or column of blocks is dropped)."""
    if factor == 1:
        return plane
    rows, cols = plane.shape[0] // factor, plane.shape[1] // factor
    out = np.zeros((rows, cols), dtype=np.float32)
    for i in range(rows):
        for k in range(factor):
            source = plane[i * factor + k]
            for j in range(cols):
                total = np.float32(0.0)
                for m in range(factor):
                    total += source[j * factor + m]
                out[i, j] += total
    return out / np.float32(factor * factor)
