"""PDQ hashes of many crops, extensions and rescalings of one luma plane, in one pass each.

PDQ's downsampling is linear and separable: two passes of a box filter of ``ceil(n / 128)``
pixels along each axis, then one sample at ``floor((i + 0.5) n / 64)``. So the 64x64
block of any axis-aligned view of an image (a crop, the image extended by repeating its
edges, or the image resampled linearly) is ``Wr @ plane @ Wc.T`` for two 64-row weight
matrices that follow from the view's geometry alone. Each view then costs one sparse pass
over the rows it covers, instead of building the view's pixels and filtering them.

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
    coordinates outside the plane clamped to its edge.
    """

    size: int
    length: int
    start: float = 0.0
    step: float = 1.0


@njit(cache=True, nogil=True)
def _axis_weights(
    size: int, length: int, start: float, step: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(64, size) weights and each row's [lo, hi) band of nonzero plane pixels."""
    weights = np.zeros((GRID, size), dtype=np.float32)
    lo = np.full(GRID, size, dtype=np.int64)
    hi = np.zeros(GRID, dtype=np.int64)
    window = (length + 2 * GRID - 1) // (2 * GRID)
    half = (window + 2) // 2
    for i in range(GRID):
        sample = int(((i + 0.5) * length) / GRID)
        outer_lo = max(0, sample - (window - half))
        outer_hi = min(length, sample + half)
        for q in range(outer_lo, outer_hi):
            inner_lo = max(0, q - (window - half))
            inner_hi = min(length, q + half)
            share = 1.0 / ((outer_hi - outer_lo) * (inner_hi - inner_lo))
            for v in range(inner_lo, inner_hi):
                x = start + (v + 0.5) * step - 0.5
                x = min(max(x, 0.0), size - 1.0)
                left = int(x)
                frac = x - left
                weights[i, left] += share * (1.0 - frac)
                lo[i] = min(lo[i], left)
                hi[i] = max(hi[i], left + 1)
                if frac > 0.0:
                    weights[i, left + 1] += share * frac
                    hi[i] = max(hi[i], left + 2)
    return weights, lo, hi


@njit(cache=True, nogil=True)
def _along_rows(
    plane: np.ndarray, weights: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """(64, w): output row i is the weighted sum of the plane rows in band i."""
    out = np.zeros((GRID, plane.shape[1]), dtype=np.float32)
    for i in range(GRID):
        for r in range(lo[i], hi[i]):
            weight = weights[i, r]
            for c in range(plane.shape[1]):
                out[i, c] += weight * plane[r, c]
    return out


@njit(cache=True, nogil=True)
def _along_cols(
    plane: np.ndarray, weights: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """(64, h): output row i is the weighted sum of the plane columns in band i."""
    out = np.empty((GRID, plane.shape[0]), dtype=np.float32)
    for r in range(plane.shape[0]):
        for i in range(GRID):
            acc = np.float32(0.0)
            for c in range(lo[i], hi[i]):
                acc += weights[i, c] * plane[r, c]
            out[i, r] = acc
    return out


def aligned_coefficients(
    plane: np.ndarray, views: Sequence[tuple[Axis, Axis, bool]]
) -> list[tuple[np.ndarray, int]]:
    """The 16x16 DCT coefficients and the quality of each (rows, cols, transposed) view of
    a float32 luma plane. A transposed view lays its rows axis on the plane's columns.
    Views that share a first axis share its pass over the plane."""
    weights: dict[Axis, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    partials: dict[tuple[Axis, bool], np.ndarray] = {}

    def weights_of(axis: Axis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if axis not in weights:
            weights[axis] = _axis_weights(axis.size, axis.length, axis.start, axis.step)
        return weights[axis]

    results = []
    for rows, cols, transposed in views:
        key = (rows, transposed)
        if key not in partials:
            first = _along_cols if transposed else _along_rows
            partials[key] = first(plane, *weights_of(rows))
        # (64, n) partial sums reduced along n: the same operation, on the partial's rows.
        block = np.ascontiguousarray(_along_cols(partials[key], *weights_of(cols)).T)
        results.append((dct_16x16(block, DCT_MATRIX), int(quality_of(block))))
    return results


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
def _turned_block(blurred_plane: np.ndarray, degrees: float) -> np.ndarray:
    rows, cols = blurred_plane.shape
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    centre_y, centre_x = rows / 2.0, cols / 2.0
    block = np.empty((GRID, GRID), dtype=np.float32)
    for i in range(GRID):
        dy = int(((i + 0.5) * rows) / GRID) + 0.5 - centre_y
        for j in range(GRID):
            dx = int(((j + 0.5) * cols) / GRID) + 0.5 - centre_x
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


def turned_coefficients(blurred_plane: np.ndarray, degrees: float) -> tuple[np.ndarray, int]:
    """DCT coefficients and quality of the view of a plane turned ``degrees`` clockwise,
    sampled from the plane already blurred by ``blurred`` (corners clamp to the edge)."""
    block = _turned_block(blurred_plane, degrees)
    return dct_16x16(block, DCT_MATRIX), int(quality_of(block))
