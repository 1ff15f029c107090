"""Find where the picture is inside an upload: borders, letterbox bars, caption bars, frames.

Copies of a known image are often padded, letterboxed, given a caption bar or shown inside
a screenshot of a post. All of these surround the picture with a background of one colour,
broken at most by thin lines of text or small icons. ``picture_box`` finds the picture as
the tallest band of rows, and within it the widest band of columns, in which many pixels
differ from that background (at least half as many as in the busiest row or column).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_BACKGROUND_TOLERANCE = 14.0  # luma levels within which a pixel counts as background
_BUSY_SHARE_OF_PEAK = 0.5  # rows (columns) this busy, relative to the busiest, are picture
_GAP_FRACTION = 0.02  # dips in a band shorter than this share of the side are bridged
_PLAIN_TOLERANCE = 8.0  # luma levels around a border's colour that still count as border
_PLAIN_SHARE = 0.98  # share of a row's pixels that must be border colour for it to be border
_PLAIN_BLOCK = 8  # rows checked at a time
_CLEAR_SHARE = 0.05  # a line with at most this share of busy pixels is clear background
_SNAP_REACH = 3  # sides snap past clear lines within 1/3 of the box
_MIN_SIDE_FRACTION = 0.25  # a picture narrower or shorter than this share is not trusted
_MIN_TRIM_FRACTION = 0.02  # boxes that trim less than this share of the area are not views


@dataclass(frozen=True)
class Box:
    """Rows ``top:bottom`` and columns ``left:right`` of an image."""

    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left


def background_level(luma: np.ndarray) -> float:
    """The most common luma level (in bins of 8) on the image's outer ring."""
    ring = np.concatenate((luma[0], luma[-1], luma[:, 0], luma[:, -1]))
    counts = np.bincount(np.clip(ring, 0, 255).astype(np.int64) // 8, minlength=32)
    level = int(np.argmax(counts))
    in_bin = ring[(ring >= level * 8) & (ring < level * 8 + 8)]
    return float(np.median(in_bin))


def trimmed_box(luma: np.ndarray) -> Box | None:
    """The box left after removing plain borders (padding, letterbox or pillarbox bars).

    From each side, rows (columns) are removed while nearly all their pixels are within a
    few levels of that side's outermost row (column), which must itself be plain. None when
    nothing, or everything, would be removed.
    """
    height, width = luma.shape
    top = _plain_run(luma)
    bottom = height - _plain_run(luma[::-1])
    left = _plain_run(luma.T)
    right = width - _plain_run(luma.T[::-1])
    if top == 0 and left == 0 and bottom == height and right == width:
        return None
    box = Box(top, left, bottom, right)
    if box.height < _MIN_SIDE_FRACTION * height or box.width < _MIN_SIDE_FRACTION * width:
        return None
    return box


def _plain_run(lines: np.ndarray) -> int:
    """How many leading rows of ``lines`` are plain in the colour of the first row.

    Rows are checked a few at a time, so a picture with no border costs one small block.
    """
    level = float(np.median(lines[0]))
    start = 0
    while start < len(lines):
        block = lines[start : start + _PLAIN_BLOCK]
        plain = (np.abs(block - level) <= _PLAIN_TOLERANCE).mean(axis=1) >= _PLAIN_SHARE
        if not plain.all():
            return start + int(np.argmin(plain))
        start += len(block)
    return len(lines)


def picture_box(luma: np.ndarray) -> Box | None:
    """The box of the picture inside a uniform surround, or None if there is nothing to trim.

    ``luma`` is an (h, w) float array. None is also returned when the box found is too
    small to be the picture (under a quarter of a side) or trims almost nothing.
    """
    height, width = luma.shape
    busy = np.abs(luma - background_level(luma)) > _BACKGROUND_TOLERANCE
    rows = _longest_band(busy.mean(axis=1))
    if rows is None:
        return None
    cols = _longest_band(busy[rows[0] : rows[1]].mean(axis=0))
    if cols is None:
        return None
    rows = _longest_band(busy[:, cols[0] : cols[1]].mean(axis=1))
    if rows is None:
        return None
    box = _snapped(busy, Box(rows[0], cols[0], rows[1], cols[1]))
    if box.height < _MIN_SIDE_FRACTION * height or box.width < _MIN_SIDE_FRACTION * width:
        return None
    if box.height * box.width > (1.0 - _MIN_TRIM_FRACTION) * height * width:
        return None
    return box


def _snapped(busy: np.ndarray, box: Box) -> Box:
    """``box`` with each side moved inward past the last clear line near it.

    A band of busy rows can take in a line of text just above or below the picture; the
    picture itself starts after the last row (column) that is clear background across it.
    """
    clear_rows = busy[:, box.left : box.right].mean(axis=1) <= _CLEAR_SHARE
    top, bottom = _inside_clear(clear_rows, box.top, box.bottom)
    clear_cols = busy[top:bottom].mean(axis=0) <= _CLEAR_SHARE
    left, right = _inside_clear(clear_cols, box.left, box.right)
    return Box(top, left, bottom, right)


def _inside_clear(clear: np.ndarray, start: int, end: int) -> tuple[int, int]:
    reach = (end - start) // _SNAP_REACH
    before = np.flatnonzero(clear[start : start + reach])
    after = np.flatnonzero(clear[end - reach : end])
    new_start = start + int(before[-1]) + 1 if len(before) else start
    new_end = end - reach + int(after[0]) if len(after) else end
    return new_start, max(new_end, new_start + 1)


def _longest_band(profile: np.ndarray) -> tuple[int, int] | None:
    """[start, end) of the longest run where ``profile`` is busy, bridging short dips.

    A position is busy when its share of non-background pixels is at least half the
    largest share along the profile.
    """
    length = len(profile)
    peak = float(profile.max(initial=0.0))
    if peak <= 0.0:
        return None
    busy = np.flatnonzero(profile >= _BUSY_SHARE_OF_PEAK * peak)
    breaks = np.flatnonzero(np.diff(busy) > max(1, int(_GAP_FRACTION * length)))
    starts = np.concatenate(([busy[0]], busy[breaks + 1]))
    ends = np.concatenate((busy[breaks], [busy[-1]])) + 1
    longest = int(np.argmax(ends - starts))
    return int(starts[longest]), int(ends[longest])
