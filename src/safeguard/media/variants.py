"""The views of an upload that are hashed and looked up beside the upload itself.

Hash lists hold the PDQ hash of the original image; uploads are often edited copies of
it. Each view here undoes one common edit, as far as that can be done from the copy:

- ``upscaled-2x``: PDQ's box filter works in whole pixels, so a small copy blurs and
  shifts differently than the larger original did. Hashing the copy upscaled 2x brings a
  half-size copy of a 500-pixel photo from a median 16 bits to about 3.
- ``trimmed``: the upload without plain borders: padding, letterbox and pillarbox bars
  (``geometry.trimmed_box``).
- ``picture``: the picture inside a caption bar or a screenshot frame, whose surround is
  plain but for text and icons (``geometry.picture_box``).
- ``uncrop-*``: a copy cropped by a few percent has its content shifted and scaled against
  PDQ's grid; extending the copy's edges back to the original's extent realigns it.
- ``unrotate-*``: a copy turned by a few degrees, turned back.

- ``mirrored``, ``rotated-90`` and the other turns by right angles: the upload read with
  reversed or swapped axes. (Taking them from the DCT's symmetries, as Meta's reference
  can, is cheaper but puts a median 10 bits, up to 52, between a mirrored copy and its
  original, because PDQ's box filter is not symmetric.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from safeguard.media.geometry import picture_box, trimmed_box
from safeguard.signals.base import ORIGINAL_VIEW
from safeguard.signals.pdq_views import Axis

UPSCALE_BELOW = 1024  # longest side, in pixels, under which the 2x view is added
ORIGINAL = ORIGINAL_VIEW
UPSCALED_2X = "upscaled-2x"
PICTURE = "picture"
TRIMMED = "trimmed"

# name -> share of the original's side that was cropped away (top, bottom, left, right)
_UNCROPS: dict[str, tuple[float, float, float, float]] = {
    "uncrop-centre-5": (0.025, 0.025, 0.025, 0.025),
    "uncrop-centre-10": (0.05, 0.05, 0.05, 0.05),
    "uncrop-top-5": (0.05, 0.0, 0.0, 0.0),
    "uncrop-bottom-5": (0.0, 0.05, 0.0, 0.0),
    "uncrop-left-5": (0.0, 0.0, 0.05, 0.0),
    "uncrop-right-5": (0.0, 0.0, 0.0, 0.05),
    "uncrop-top-10": (0.1, 0.0, 0.0, 0.0),
    "uncrop-bottom-10": (0.0, 0.1, 0.0, 0.0),
    "uncrop-left-10": (0.0, 0.0, 0.1, 0.0),
    "uncrop-right-10": (0.0, 0.0, 0.0, 0.1),
}
_UNROTATIONS = {  # name -> degrees to turn the upload clockwise
    "unrotate-3": 3.0,
    "unrotate-minus-3": -3.0,
    "unrotate-5": 5.0,
    "unrotate-minus-5": -5.0,
}
UNCROP_SQUARE_WIDE = "uncrop-square-wide"
UNCROP_SQUARE_TALL = "uncrop-square-tall"
_SQUARE_TOLERANCE = 0.02  # uploads this close to square may be square crops of a photo
_SQUARE_CROP_ASPECT = 4.0 / 3.0  # ... whose original is taken to be 4:3, the commonest
_SMALL_SIDE = 512  # turned views and the picture box come from a copy at most this large
_MIN_SMALL_SIDE = 16


@dataclass(frozen=True)
class AlignedView:
    """A crop or extension of the upload, as the axes PDQ's grid is laid on."""

    name: str
    rows: Axis
    cols: Axis
    transposed: bool = False  # the axes are laid on the plane's transpose


@dataclass(frozen=True)
class TurnedView:
    """The upload turned clockwise by a few degrees about its centre."""

    name: str
    degrees: float


@dataclass(frozen=True)
class QueryViews:
    """The views of one luma plane; turned views are taken from ``small``, a reduced copy."""

    plane: np.ndarray
    small: np.ndarray
    aligned: list[AlignedView]
    turned: list[TurnedView]


def query_views(plane: np.ndarray) -> QueryViews:
    """Every view of an (h, w) float32 luma plane to hash, the plane itself first."""
    height, width = plane.shape
    aligned = [AlignedView(ORIGINAL, Axis(height, height), Axis(width, width))]
    aligned.extend(_dihedral(height, width))
    if max(height, width) < UPSCALE_BELOW:
        rows, cols = Axis(height, 2 * height, 0.0, 0.5), Axis(width, 2 * width, 0.0, 0.5)
        aligned.append(AlignedView(UPSCALED_2X, rows, cols))
    factor = max(1, -(-max(height, width) // _SMALL_SIDE))
    small = shrink(plane, factor)
    if min(small.shape) < _MIN_SMALL_SIDE:  # a sliver: neither framed nor turned
        return QueryViews(plane, small, aligned, [])
    for name, box in ((TRIMMED, trimmed_box(plane)), (PICTURE, picture_box(small))):
        if box is not None:
            scale = 1 if name == TRIMMED else factor
            top, bottom = box.top * scale, min(height, box.bottom * scale)
            left, right = box.left * scale, min(width, box.right * scale)
            rows = Axis(height, bottom - top, float(top))
            aligned.append(AlignedView(name, rows, Axis(width, right - left, float(left))))
    for name, (top_share, bottom_share, left_share, right_share) in _UNCROPS.items():
        rows = _extended(height, top_share, bottom_share)
        aligned.append(AlignedView(name, rows, _extended(width, left_share, right_share)))
    if abs(height - width) <= _SQUARE_TOLERANCE * max(height, width):
        extra = round(width * (_SQUARE_CROP_ASPECT - 1.0) / 2.0)
        wide = Axis(width, width + 2 * extra, -extra)
        aligned.append(AlignedView(UNCROP_SQUARE_WIDE, Axis(height, height), wide))
        tall = Axis(height, height + 2 * extra, -extra)
        aligned.append(AlignedView(UNCROP_SQUARE_TALL, tall, Axis(width, width)))
    turned = [TurnedView(name, degrees) for name, degrees in _UNROTATIONS.items()]
    return QueryViews(plane, small, aligned, turned)


def _dihedral(height: int, width: int) -> list[AlignedView]:
    """The upload turned by right angles and mirrored: reversed axes, on the plane or its
    transpose. "rotated-90" is the upload turned 90 degrees clockwise."""
    rows, cols = Axis(height, height), Axis(width, width)
    rows_reversed, cols_reversed = _reversed(height), _reversed(width)
    cols_t, rows_t = Axis(height, height), Axis(width, width)  # the transpose is width x height
    return [
        AlignedView("mirrored", rows, cols_reversed),
        AlignedView("flipped", rows_reversed, cols),
        AlignedView("rotated-180", rows_reversed, cols_reversed),
        AlignedView("transposed", rows_t, cols_t, transposed=True),
        AlignedView("rotated-90", rows_t, _reversed(height), transposed=True),
        AlignedView("rotated-270", _reversed(width), cols_t, transposed=True),
        AlignedView("anti-transposed", _reversed(width), _reversed(height), transposed=True),
    ]


def _reversed(size: int) -> Axis:
    return Axis(size, size, float(size), -1.0)


def _extended(size: int, before: float, after: float) -> Axis:
    """The axis of a side extended by repeating its edges, as if the shares ``before`` and
    ``after`` of the original side had been cropped away."""
    full = size / (1.0 - before - after)
    return Axis(size, round(full), -round(full * before))


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
