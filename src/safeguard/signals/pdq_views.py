"""PDQ hashes of many crops, extensions and rescalings of one luma plane, in one pass each.

PDQ's downsampling is linear and separable: two passes of a box filter of ``ceil(n / 128)``
pixels along each axis, then one sample at ``floor((i + 0.5) n / 64)``. So the 64x64
block of any axis-aligned view of an image (a crop, the image extended by repeating its
edges, or the image resampled linearly) is ``Wr @ plane @ Wc.T`` for two 64-row weight
matrices that follow from the view's geometry alone. Each view then costs one sparse pass
over the rows it covers, instead of building the view's pixels and filtering them.

Each weight row is nonzero only on a band of about ``2 n / 128`` plane pixels, and only the
bands are kept: an axis's weights hold about as many values as the axis has pixels, and the
partial sums of one pass 64 per pixel of one side. Building a row's band costs the square
of the filter's window (each pixel of the inner box, for each pixel of the outer one), so
about ``n^2 / 256`` an axis; the decoder's aspect-ratio cap keeps that within a small
multiple of the image's pixel count.

The weights are the reference's own filter, so a view equals the reference's hash of the
same pixels up to float rounding (a bit or two, where a coefficient sits at the median).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from safeguard.signals.pdq_kernel import (
    DCT_MATRIX,
    JAROSZ_PASSES,
    box_along_cols,
    box_along_rows,
    dct_16x16,
    quality_of,
)

GRID = 64


@dataclass(frozen=True)
class Axis:
    """How a view's ``length`` pixels along one axis map onto the plane's ``size`` pixels.

    View pixel ``v`` has its centre at plane coordinate ``start + (v + 0.5) * step`` (pixel
    centres at ``k + 0.5``); it takes the plane's value there, linearly interpolated, with
    coordinates outside the plane (or outside pixels ``bounds``, a box in it) clamped to
    its edge.
    """

    size: int
    length: int
    start: float = 0.0
    step: float = 1.0
    bounds: tuple[int, int] | None = None


# An axis's weights: each output row's values, where they start (65 offsets into the
# values) and the first plane pixel they weigh; row i weighs plane pixel lo[i] + k by
# values[offsets[i] + k], for k below offsets[i + 1] - offsets[i].
Weights = tuple[np.ndarray, np.ndarray, np.ndarray]


@njit(cache=True, nogil=True)
def _box(centre: int, length: int, window: int) -> tuple[int, int]:
    """[lo, hi) of the box filter's window around ``centre``, clipped to the view."""
    half = (window + 2) // 2
    return max(0, centre - (window - half)), min(length, centre + half)


@njit(cache=True, nogil=True)
def _source(v: int, start: float, step: float, lo: int, hi: int) -> tuple[int, float]:
    """The plane pixel at or before view pixel ``v``'s centre, and the next one's share
    (pixels ``lo:hi`` only)."""
    x = start + (v + 0.5) * step - 0.5
    x = min(max(x, float(lo)), hi - 1.0)
    left = int(x)
    return left, x - left


@njit(cache=True, nogil=True)
def _axis_weights(
    size: int, length: int, start: float, step: float, bound_lo: int, bound_hi: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 64 output rows' bands of nonzero weights over the plane's ``size`` pixels."""
    window = (length + 2 * GRID - 1) // (2 * GRID)
    outer_lo = np.empty(GRID, dtype=np.int64)
    outer_hi = np.empty(GRID, dtype=np.int64)
    lo = np.full(GRID, size, dtype=np.int64)
    hi = np.zeros(GRID, dtype=np.int64)
    for i in range(GRID):
        outer_lo[i], outer_hi[i] = _box(int(((i + 0.5) * length) / GRID), length, window)
        first, _ = _box(outer_lo[i], length, window)
        _, last = _box(outer_hi[i] - 1, length, window)
        for v in range(first, last):  # every view pixel the inner boxes cover
            left, frac = _source(v, start, step, bound_lo, bound_hi)
            lo[i] = min(lo[i], left)
            hi[i] = max(hi[i], left + 2 if frac > 0.0 else left + 1)
    offsets = np.zeros(GRID + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(hi - lo)
    values = np.zeros(offsets[GRID], dtype=np.float32)
    for i in range(GRID):
        base = offsets[i] - lo[i]
        for q in range(outer_lo[i], outer_hi[i]):
            inner_lo, inner_hi = _box(q, length, window)
            share = 1.0 / ((outer_hi[i] - outer_lo[i]) * (inner_hi - inner_lo))
            for v in range(inner_lo, inner_hi):
                left, frac = _source(v, start, step, bound_lo, bound_hi)
                values[base + left] += share * (1.0 - frac)
                if frac > 0.0:
                    values[base + left + 1] += share * frac
    return values, offsets, lo


def axis_weights(axis: Axis) -> Weights:
    """The banded weights that take one axis of the plane to the view's 64 samples."""
    bound_lo, bound_hi = axis.bounds or (0, axis.size)
    values, offsets, lo = _axis_weights(
        axis.size, axis.length, axis.start, axis.step, bound_lo, bound_hi
    )
    return values, offsets, lo


@njit(cache=True, nogil=True)
def _along_rows(
    plane: np.ndarray, values: np.ndarray, offsets: np.ndarray, lo: np.ndarray
) -> np.ndarray:
    """(64, w): output row i is the weighted sum of the plane rows in band i, each sum
    taken in band order (given a transpose, the same of its columns)."""
    out = np.zeros((GRID, plane.shape[1]), dtype=np.float32)
    for i in range(GRID):
        for k in range(offsets[i + 1] - offsets[i]):
            weight = values[offsets[i] + k]
            row = lo[i] + k
            for c in range(plane.shape[1]):
                out[i, c] += weight * plane[row, c]
    return out


@njit(cache=True, nogil=True)
def _transposed(plane: np.ndarray) -> np.ndarray:
    """A contiguous copy of the plane's transpose, copied in 64x64 tiles (faster than
    reducing along the columns of the plane once for each view turned by a right angle)."""
    rows, cols = plane.shape
    out = np.empty((cols, rows), dtype=plane.dtype)
    for top in range(0, rows, GRID):
        for left in range(0, cols, GRID):
            for c in range(left, min(left + GRID, cols)):
                for r in range(top, min(top + GRID, rows)):
                    out[c, r] = plane[r, c]
    return out


def aligned_coefficients(
    plane: np.ndarray, views: Sequence[tuple[Axis, Axis, bool]]
) -> list[tuple[np.ndarray, int]]:
    """The 16x16 DCT coefficients and the quality of each (rows, cols, transposed) view of
    a float32 luma plane. A transposed view lays its rows axis on the plane's columns.
    Views that share a first axis share its pass over the plane, and only one pass's
    partial sums are held at a time; transposed views make their first pass along the
    rows of the plane's transpose, made once."""
    weights: dict[Axis, Weights] = {}
    transpose = _transposed(plane) if any(view[2] for view in views) else plane

    def weights_of(axis: Axis) -> Weights:
        if axis not in weights:
            weights[axis] = axis_weights(axis)
        return weights[axis]

    by_first_pass: dict[tuple[Axis, bool], list[int]] = {}
    for index, (rows, _, transposed) in enumerate(views):
        by_first_pass.setdefault((rows, transposed), []).append(index)
    results: dict[int, tuple[np.ndarray, int]] = {}
    for (rows, transposed), indices in by_first_pass.items():
        partial = _along_rows(transpose if transposed else plane, *weights_of(rows))
        for index in indices:
            # (64, n) partial sums reduced along n: the first pass, on their transpose.
            block = np.ascontiguousarray(_along_rows(partial.T, *weights_of(views[index][1])).T)
            results[index] = (dct_16x16(block, DCT_MATRIX), int(quality_of(block)))
    return [results[index] for index in range(len(views))]


def blurred(plane: np.ndarray) -> np.ndarray:
    """The plane after PDQ's two passes of box filtering (a new float32 array)."""
    out = np.array(plane, dtype=np.float32, copy=True)
    rows, cols = out.shape
    scratch = np.empty_like(out)
    for _ in range(JAROSZ_PASSES):
        box_along_rows(out, scratch, (cols + 2 * GRID - 1) // (2 * GRID))
        box_along_cols(scratch, out, (rows + 2 * GRID - 1) // (2 * GRID))
    return out


@njit(cache=True, nogil=True)
def _turned_block(blurred_plane: np.ndarray, degrees: float, scale: float) -> np.ndarray:
    rows, cols = blurred_plane.shape
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    centre_y, centre_x = rows / 2.0, cols / 2.0
    block = np.empty((GRID, GRID), dtype=np.float32)
    for i in range(GRID):
        dy = (int(((i + 0.5) * rows) / GRID) + 0.5 - centre_y) * scale
        for j in range(GRID):
            dx = (int(((j + 0.5) * cols) / GRID) + 0.5 - centre_x) * scale
            y = centre_y + dy * cos - dx * sin - 0.5
            x = centre_x + dy * sin + dx * cos - 0.5
            y = min(max(y, 0.0), rows - 1.0)
            x = min(max(x, 0.0), cols - 1.0)
            top, left = min(int(y), rows - 2), min(int(x), cols - 2)
            fy, fx = y - top, x - left
            upper = blurred_plane[top, left] * (1 - fx) + blurred_plane[top, left + 1] * fx
            lower = blurred_plane[top + 1, left] * (1 - fx) + blurred_plane[top + 1, left + 1] * fx
            block[i, j] = upper * (1 - fy) + lower * fy
    return block


def turned_coefficients(
    blurred_plane: np.ndarray, degrees: float, scale: float = 1.0, mirrored: bool = False
) -> tuple[np.ndarray, int]:
    """DCT coefficients and quality of the view of a plane turned ``degrees`` clockwise,
    sampled from the plane already blurred by ``blurred`` (corners clamp to the edge);
    ``scale`` above 1 extends the view past the plane's edges by that factor about its
    centre (undoing a centred crop), and ``mirrored`` mirrors the view."""
    block = _turned_block(blurred_plane, degrees, scale)
    if mirrored:
        block = np.ascontiguousarray(block[:, ::-1])
    return dct_16x16(block, DCT_MATRIX), int(quality_of(block))
