"""How far each view of an upload may be from a bank entry and still match it.

The upload's own hash (and its upscaled view, the same picture) matches within the bank's
threshold. Views that undo an edit (a crop, a frame, a turn) are further from the
original even when they are right, so they get an allowance on top of the bank's
threshold, up to a ceiling. Each view has its own allowance (``VIEW_ALLOWANCES``),
chosen on the robustness benchmark: wide enough for the copies the view finds, at least
10 bits below the nearest wrong entry any view of that kind came to against a bank of
100,000 natural-image distractors, and small where a wider one finds little, because a
radius search in a large bank costs far more at 44 bits than at 31 (docs/benchmarks.md).
The configured allowance (``SAFEGUARD_PDQ_VIEW_ALLOWANCE``) caps them all.
"""

from __future__ import annotations

from safeguard.media.variants import ORIGINAL, UPSCALED_2X
from safeguard.signals.base import FRAME_MARK

_SAME_PICTURE = frozenset({ORIGINAL, UPSCALED_2X})
VIEW_ALLOWANCES: dict[str, int] = {
    "anti-transposed": 0,
    "flipped": 0,
    "mirrored": 0,
    "mirrored+uncrop-bottom-5": 0,
    "mirrored+uncrop-bottom-left-5": 0,
    "mirrored+uncrop-bottom-right-5": 0,
    "mirrored+uncrop-centre-5": 5,
    "mirrored+uncrop-left-5": 0,
    "mirrored+uncrop-right-5": 0,
    "mirrored+uncrop-top-5": 3,
    "mirrored+uncrop-top-left-5": 0,
    "mirrored+uncrop-top-right-5": 7,
    "picture": 13,
    "picture+mirrored": 13,
    "picture+uncrop-centre-5": 13,
    "rotated-180": 0,
    "rotated-270": 0,
    "rotated-270+uncrop-bottom-5": 0,
    "rotated-270+uncrop-centre-5": 0,
    "rotated-270+uncrop-left-5": 0,
    "rotated-270+uncrop-right-5": 0,
    "rotated-270+uncrop-top-5": 0,
    "rotated-90": 0,
    "rotated-90+uncrop-bottom-5": 0,
    "rotated-90+uncrop-centre-5": 0,
    "rotated-90+uncrop-left-5": 3,
    "rotated-90+uncrop-right-5": 0,
    "rotated-90+uncrop-top-5": 0,
    "transposed": 0,
    "trimmed": 0,
    "trimmed+mirrored": 13,
    "trimmed+uncrop-centre-5": 13,
    "uncaption-14": 11,
    "uncaption-14+uncrop-centre-5": 13,
    "uncrop-16:9-of-3:2-bottom": 0,
    "uncrop-16:9-of-3:2-centre": 13,
    "uncrop-16:9-of-3:2-left": 9,
    "uncrop-16:9-of-3:2-middle": 9,
    "uncrop-16:9-of-3:2-right": 0,
    "uncrop-16:9-of-3:2-top": 13,
    "uncrop-16:9-of-4:3-bottom": 0,
    "uncrop-16:9-of-4:3-centre": 13,
    "uncrop-16:9-of-4:3-left": 11,
    "uncrop-16:9-of-4:3-middle": 13,
    "uncrop-16:9-of-4:3-right": 0,
    "uncrop-16:9-of-4:3-top": 13,
    "uncrop-1:1-of-3:2-bottom": 13,
    "uncrop-1:1-of-3:2-centre": 13,
    "uncrop-1:1-of-3:2-left": 13,
    "uncrop-1:1-of-3:2-middle": 13,
    "uncrop-1:1-of-3:2-right": 13,
    "uncrop-1:1-of-3:2-top": 13,
    "uncrop-1:1-of-4:3-bottom": 13,
    "uncrop-1:1-of-4:3-centre": 13,
    "uncrop-1:1-of-4:3-left": 13,
    "uncrop-1:1-of-4:3-middle": 13,
    "uncrop-1:1-of-4:3-right": 13,
    "uncrop-1:1-of-4:3-top": 13,
    "uncrop-bottom-10": 7,
    "uncrop-bottom-2.5-left-7.5": 0,
    "uncrop-bottom-2.5-right-7.5": 0,
    "uncrop-bottom-5": 0,
    "uncrop-bottom-7.5-left-2.5": 0,
    "uncrop-bottom-7.5-right-2.5": 0,
    "uncrop-bottom-left-5": 0,
    "uncrop-bottom-right-5": 7,
    "uncrop-centre-10": 13,
    "uncrop-centre-5": 7,
    "uncrop-left-10": 0,
    "uncrop-left-5": 7,
    "uncrop-right-10": 11,
    "uncrop-right-5": 0,
    "uncrop-top-10": 0,
    "uncrop-top-2.5-left-7.5": 0,
    "uncrop-top-2.5-right-7.5": 7,
    "uncrop-top-5": 5,
    "uncrop-top-7.5-left-2.5": 0,
    "uncrop-top-7.5-right-2.5": 0,
    "uncrop-top-left-5": 5,
    "uncrop-top-right-5": 0,
    "unrotate-3": 0,
    "unrotate-3+mirrored": 3,
    "unrotate-3+uncrop-centre-5": 5,
    "unrotate-5": 0,
    "unrotate-minus-3": 0,
    "unrotate-minus-3+mirrored": 0,
    "unrotate-minus-3+uncrop-centre-5": 3,
    "unrotate-minus-5": 1,
}
"""Bits on top of the bank's threshold, by view, where less than the configured allowance
serves: chosen on the robustness benchmark (run of 2026-11-26) for the most recall, single
edits weighed twice, with the lookups of a 4:3 upload's views costing about 18 ms in a
bank of 10 million hashes (docs/benchmarks.md)."""


def is_edit_view(view: str | None) -> bool:
    """Whether ``view`` undoes an edit (None is a hash a client looked up itself). A view
    of one frame of an animation is named ``<view>@<frame number>``."""
    return view is not None and view.partition(FRAME_MARK)[0] not in _SAME_PICTURE


def edit_view_threshold(
    bank_threshold: int, allowance: int, ceiling: int, view: str | None = None
) -> int:
    """The threshold of a view that undoes an edit, for a bank with that threshold: the
    view's own allowance (``VIEW_ALLOWANCES``), capped by ``allowance``; the ceiling is the
    signal type's maximum (for PDQ, ``signals.pdq.MAX_THRESHOLD``)."""
    name = (view or "").partition(FRAME_MARK)[0]
    own = min(allowance, VIEW_ALLOWANCES.get(name, allowance))
    return max(bank_threshold, min(ceiling, bank_threshold + own))
