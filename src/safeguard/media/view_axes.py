"""The axes of a view that undoes a crop together with a mirror or a right-angle turn.

A copy may have been mirrored or turned by right angles and cropped, in either order, or
shown inside a frame. A view lays PDQ's grid on the copy (or on a box inside it, such as
the picture inside a frame) read with its axes swapped or reversed, and extended past the
box's edges by the shares of the original's sides that a crop took away. The shares are
given in the original's orientation, so "top" is the top of the picture the view shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from safeguard.media.geometry import Box
from safeguard.signals.base import ORIGINAL_VIEW
from safeguard.signals.pdq_views import Axis

Shares = tuple[float, float, float, float]
"""Shares of the original's height (top, bottom) and width (left, right) cropped away."""
NO_CROP: Shares = (0.0, 0.0, 0.0, 0.0)

DIHEDRAL: dict[str, tuple[bool, bool, bool]] = {
    ORIGINAL_VIEW: (False, False, False),
    "mirrored": (False, False, True),
    "flipped": (False, True, False),
    "rotated-180": (False, True, True),
    "transposed": (True, False, False),
    "rotated-90": (True, False, True),
    "rotated-270": (True, True, False),
    "anti-transposed": (True, True, True),
}
"""Turn name -> (axes swapped, rows reversed, columns reversed); "rotated-90" is the upload
turned 90 degrees clockwise."""


@dataclass(frozen=True)
class AlignedView:
    """A crop or extension of the upload, as the axes PDQ's grid is laid on."""

    name: str
    rows: Axis
    cols: Axis
    transposed: bool = False  # the axes are laid on the plane's transpose


def aligned_view(
    name: str, shape: tuple[int, int], box: Box, turn: str = ORIGINAL_VIEW, shares: Shares = NO_CROP
) -> AlignedView:
    """The view of ``box`` of an (h, w) plane, turned by ``turn`` (a ``DIHEDRAL`` name),
    then extended by ``shares``."""
    transposed, reverse_rows, reverse_cols = DIHEDRAL[turn]
    height, width = shape
    down = (width, box.left, box.right) if transposed else (height, box.top, box.bottom)
    across = (height, box.top, box.bottom) if transposed else (width, box.left, box.right)
    top, bottom, left, right = shares
    rows = extended_axis(*down, top, bottom, reverse=reverse_rows)
    cols = extended_axis(*across, left, right, reverse=reverse_cols)
    return AlignedView(name, rows, cols, transposed)


def extended_axis(
    size: int, lo: int, hi: int, before: float, after: float, *, reverse: bool = False
) -> Axis:
    """The axis over plane pixels ``lo:hi`` extended by repeating their edges, as if the
    shares ``before`` and ``after`` of the original side had been cropped away; read from
    ``hi`` down when ``reverse`` ("before" is then past ``hi``)."""
    full = (hi - lo) / (1.0 - before - after)
    extra = round(full * before)
    bounds = None if (lo, hi) == (0, size) else (lo, hi)
    if reverse:
        return Axis(size, round(full), float(hi + extra), -1.0, bounds)
    return Axis(size, round(full), float(lo - extra), bounds=bounds)


def aspect_shares(shape: tuple[int, int], crop: float, original: float) -> dict[str, Shares]:
    """Shares that take an upload of aspect ``crop`` back to an ``original`` aspect (both
    long side / short side), by the part of the original the upload kept (left, middle,
    right; top, centre, bottom); empty unless the upload has the crop's aspect within 2%.
    A square upload may come from a landscape or a portrait original: both are given."""
    height, width = shape
    if abs(max(height, width) / min(height, width) - crop) > 0.02 * crop:
        return {}
    landscape, portrait = width >= height, height >= width
    if crop < original:  # the original's long side was cut
        cut, widen, heighten = 1.0 - crop / original, landscape, portrait
    else:  # its short side was
        cut, widen, heighten = 1.0 - original / crop, portrait, landscape
    ends = [(0.0, cut), (cut / 2, cut / 2), (cut, 0.0)]
    shares: dict[str, Shares] = {}
    if widen:
        for part, (before, after) in zip(("left", "middle", "right"), ends, strict=True):
            shares[part] = (0.0, 0.0, before, after)
    if heighten:
        for part, (before, after) in zip(("top", "centre", "bottom"), ends, strict=True):
            shares[part] = (before, after, 0.0, 0.0)
    return shares
