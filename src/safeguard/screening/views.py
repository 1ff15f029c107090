"""How far each view of an upload may be from a bank entry and still match it.

The upload's own hash (and its upscaled view, the same picture) matches within the bank's
threshold. Views that undo an edit (a crop, a frame, a turn) are further from the
original even when they are right, so they get an allowance on top of the bank's
threshold, up to a ceiling. The robustness benchmark puts the first false positive of
any view, against a bank of 100,000 natural-image distractors, at 54 bits or more; the
ceiling keeps a margin of 10 below that (docs/benchmarks.md). A smaller allowance makes
lookups in very large banks cheaper (``SAFEGUARD_PDQ_VIEW_ALLOWANCE``).
"""

from __future__ import annotations

from safeguard.media.variants import ORIGINAL, UPSCALED_2X
from safeguard.signals.base import FRAME_MARK

_SAME_PICTURE = frozenset({ORIGINAL, UPSCALED_2X})


def is_edit_view(view: str | None) -> bool:
    """Whether ``view`` undoes an edit (None is a hash a client looked up itself). A view
    of one frame of an animation is named ``<view>@<frame number>``."""
    return view is not None and view.partition(FRAME_MARK)[0] not in _SAME_PICTURE


def edit_view_threshold(bank_threshold: int, allowance: int, ceiling: int) -> int:
    """The threshold of views that undo an edit, for a bank with that threshold; the
    ceiling is the signal type's maximum (for PDQ, ``signals.pdq.MAX_THRESHOLD``)."""
    return max(bank_threshold, min(ceiling, bank_threshold + allowance))
