"""Find where the picture is inside an upload: borders, letterbox bars, caption bars, frames.

Copies of a known image are often padded, letterboxed, given a caption bar or shown inside
a screenshot of a post. All of these surround the picture with a background of one colour,
broken at most by thin lines of text or small icons. ``picture_box`` finds the picture as
the tallest band of rows, and within it the widest band of columns, in which many pixels
differ from that background (at least half as many as in the busiest row or column); then
trims lines of text off its sides and moves each side to the sharpest boundary near it.

A flat background decodes within a level or two of its colour, while a picture's edge, even
one of nearly the background's colour (a pale sky on white), rarely does; so pixels count
as picture when they differ by a few levels. Only next to text and other strong edges, where
JPEG ringing stirs the background, does a pixel need to differ clearly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_BACKGROUND_TOLERANCE = 14.0  # luma levels beyond which a pixel is strongly off background
_FLAT_TOLERANCE = 2.0  # luma levels beyond which a pixel is not flat background (busy)
_RINGING_REACH = 2  # busy pixels this close to a strong one may be JPEG ringing, not picture
_BUSY_SHARE_OF_PEAK = 0.5  # rows (columns) this busy, relative to the busiest, are picture
_GAP_FRACTION = 0.02  # dips in a band shorter than this share of the side are bridged
_PLAIN_TOLERANCE = 8.0  # luma levels around a border's colour that still count as border
_PLAIN_SHARE = 0.98  # share of a row's pixels that must be border colour for it to be border
_PLAIN_BLOCK = 8  # rows checked at a time
_CLEAR_SHARE = 0.05  # a line with at most this share of strong pixels ...
_CLEAR_MARKED_SHARE = 0.15  # ... and this share of marked pixels is clear background
_SNAP_REACH = 3  # sides snap past clear lines within 1/3 of the box
_MIN_SIDE_FRACTION = 0.25  # a picture narrower or shorter than this share is not trusted
_MIN_TRIM_FRACTION = 0.02  # boxes that trim less than this share of the area are not views
_BLANK_SHARE = 0.1  # a line with at most this share of marked pixels bounds the edge search
_EDGE_SHARE = 0.5  # a side moves to a boundary crossed by at least this share of its lines
_EDGE_GAIN = 1.5  # ... and by this many times as many as cross the side where it was


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
    small to be the picture (under a quarter of a side) or trims almost nothing. Bands are
    found among busy pixels; text is trimmed and edges are placed among marked ones (strong
    pixels, and busy ones away from strong ones).
    """
    height, width = luma.shape
    distance = np.abs(luma - background_level(luma))
    strong = distance > _BACKGROUND_TOLERANCE
    busy = distance > _FLAT_TOLERANCE
    marked = strong | (busy & ~_near(strong, _RINGING_REACH))
    rows = _longest_band(_shares(busy))
    if rows is None:
        return None
    cols = _longest_band(_shares(busy[rows[0] : rows[1]], axis=0))
    if cols is None:
        return None
    rows = _longest_band(_shares(busy[:, cols[0] : cols[1]]))
    if rows is None:
        return None
    box = _snapped(strong, marked, Box(rows[0], cols[0], rows[1], cols[1]))
    box = _edged(marked, box)
    if box.height < _MIN_SIDE_FRACTION * height or box.width < _MIN_SIDE_FRACTION * width:
        return None
    if box.height * box.width > (1.0 - _MIN_TRIM_FRACTION) * height * width:
        return None
    return box


def _near(mask: np.ndarray, reach: int) -> np.ndarray:
    """Pixels within ``reach`` rows and columns of a set pixel of ``mask``."""
    rows = mask.copy()
    for shift in range(1, reach + 1):
        rows[shift:] |= mask[:-shift]
        rows[:-shift] |= mask[shift:]
    near = rows.copy()
    for shift in range(1, reach + 1):
        near[:, shift:] |= rows[:, :-shift]
        near[:, :-shift] |= rows[:, shift:]
    return near


def _snapped(strong: np.ndarray, marked: np.ndarray, box: Box) -> Box:
    """``box`` with each side moved inward past the last clear line near it.

    A band of busy rows can take in a line of text just above or below the picture; the
    picture itself starts after the last row (column) that is background across it.
    """
    clear_rows = _clear_lines(strong[:, box.left : box.right], marked[:, box.left : box.right])
    top, bottom = _inside_clear(clear_rows, box.top, box.bottom)
    clear_cols = _clear_lines(strong[top:bottom].T, marked[top:bottom].T)
    left, right = _inside_clear(clear_cols, box.left, box.right)
    return Box(top, left, bottom, right)


def _clear_lines(strong: np.ndarray, marked: np.ndarray) -> np.ndarray:
    """Which rows are clear background: almost no strong and few marked pixels."""
    few_strong = _shares(strong) <= _CLEAR_SHARE
    result: np.ndarray = few_strong & (_shares(marked) <= _CLEAR_MARKED_SHARE)
    return result


def _inside_clear(clear: np.ndarray, start: int, end: int) -> tuple[int, int]:
    reach = (end - start) // _SNAP_REACH
    before = np.flatnonzero(clear[start : start + reach])
    after = np.flatnonzero(clear[end - reach : end])
    new_start = start + int(before[-1]) + 1 if len(before) else start
    new_end = end - reach + int(after[0]) if len(after) else end
    return new_start, max(new_end, new_start + 1)


def _edged(marked: np.ndarray, box: Box) -> Box:
    """``box`` with each side moved to the sharpest boundary near it, if much sharper.

    A band misses the picture's rows (columns) that are close to the background's colour,
    and can end on a line of text; the picture's edge is where most of the lines across
    it turn from background to picture.
    """
    top, bottom = _edges(marked[:, box.left : box.right], box.top, box.bottom)
    left, right = _edges(np.ascontiguousarray(marked[top:bottom].T), box.left, box.right)
    top, bottom = _edges(marked[:, left:right], top, bottom)
    return Box(top, left, bottom, right)


def _edges(rows: np.ndarray, start: int, end: int) -> tuple[int, int]:
    """The picture's first and last rows near ``start:end`` of a boolean (rows, n) array.

    Each is searched for from a third of the way in out to the nearest blank row beyond
    it (else to the row next to the image's border); a side at the border stays.
    """
    count = len(rows)
    shares = _shares(rows)
    begins = np.zeros(count + 1)  # [p]: share marked in row p but not in row p - 1
    ends = np.zeros(count + 1)  # [p]: share marked in row p - 1 but not in row p
    begins[0], ends[count] = shares[0], shares[-1]
    begins[1:count] = _shares(rows[1:] & ~rows[:-1])
    ends[1:count] = _shares(rows[:-1] & ~rows[1:])
    blank = np.flatnonzero(shares <= _BLANK_SHARE)
    before, after = blank[blank < start], blank[blank >= end]
    outer_start = int(before[-1]) + 1 if len(before) else 1
    outer_end = int(after[0]) if len(after) else count - 1
    reach = (end - start) // _SNAP_REACH
    new_start = start if start == 0 else _sharpest(begins, start, outer_start, start + reach)
    new_end = end if end == count else _sharpest(ends, end, end - reach, outer_end)
    if new_end - new_start < (end - start) // 2:
        return start, end
    return new_start, new_end


def _sharpest(crossed: np.ndarray, current: int, low: int, high: int) -> int:
    """The position in ``low..high`` that most lines cross, if sharp enough, else ``current``."""
    best = low + int(np.argmax(crossed[low : high + 1]))
    here = float(crossed[max(0, current - 1) : current + 2].max())
    if crossed[best] >= _EDGE_SHARE and crossed[best] >= _EDGE_GAIN * here:
        return best
    return current


def _shares(mask: np.ndarray, axis: int = 1) -> np.ndarray:
    """The share of set pixels in each row (``axis=1``) or column of a boolean array."""
    counts = mask.view(np.uint8).sum(axis=axis, dtype=np.int32)
    shares: np.ndarray = counts / mask.shape[axis]
    return shares


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
