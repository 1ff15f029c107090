"""The decision policy: per-bank, per-signal-type thresholds, safelists, block over review
over allow."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from safeguard.banks.models import BankAction, BankKind
from safeguard.index.base import SequenceHit
from safeguard.screening.matcher import Candidate
from safeguard.screening.views import edit_view_threshold, is_edit_view
from safeguard.signals.registry import signal_types


class Decision(StrEnum):
    BLOCK = "block"
    REVIEW = "review"
    ALLOW = "allow"


@dataclass(frozen=True)
class SequenceRule:
    """When a video (a sequence of frames) matches a banked one: both shares at their
    thresholds, as the vPDQ reference decides (python-threatexchange's defaults: 80% of
    the query's frames, 0% of the banked video's), or an excerpt of at least
    ``min_clip_seconds`` matched in order, whatever the shares."""

    query_percent: float = 80.0
    compared_percent: float = 0.0
    min_clip_seconds: float = 5.0

    def accepts(self, hit: SequenceHit) -> bool:
        shares = (
            hit.query_percent >= self.query_percent
            and hit.compared_percent >= self.compared_percent
        )
        return shares or hit.clip_seconds >= self.min_clip_seconds


@dataclass(frozen=True)
class BankRule:
    """What the policy needs to know of a bank."""

    bank_id: str
    name: str
    action: BankAction
    kind: BankKind
    thresholds: Mapping[str, int] = field(default_factory=dict)
    """By signal type; a type the bank sets none for uses its default."""
    edit_view_allowance: int = 0
    """Added to the threshold for views that undo an edit (up to the type's maximum)."""
    sequence: SequenceRule = SequenceRule()
    """When a video match counts."""

    def threshold_for(self, signal_type: str, view: str | None) -> int:
        """The largest distance at which a match of ``signal_type`` through ``view``
        counts (-1: none, for a signal type no longer installed)."""
        kind = signal_types().get(signal_type)
        if kind is None:
            return -1
        threshold = self.thresholds.get(signal_type, kind.default_threshold)
        if is_edit_view(view):
            allowance = self.edit_view_allowance
            return edit_view_threshold(threshold, allowance, kind.max_threshold, view)
        return threshold


@dataclass(frozen=True)
class Match:
    """A match that counts: within its bank's threshold, in a bank that takes part."""

    bank: str
    entry_id: int
    content_item_id: int
    signal_type: str
    distance: int
    effect: str  # "block", "review" or "safelist"
    view: str | None = None
    sequence: SequenceHit | None = None

    def as_dict(self) -> dict[str, object]:
        """The CLI's match form: bank, entry_id, content_item_id, signal_type, distance,
        and for a video match how much matched and where (``video``)."""
        shown: dict[str, object] = {
            "bank": self.bank,
            "entry_id": self.entry_id,
            "content_item_id": self.content_item_id,
            "signal_type": self.signal_type,
            "distance": self.distance,
        }
        if self.sequence is not None:
            shown["video"] = sequence_dict(self.sequence)
        return shown


def sequence_dict(hit: SequenceHit) -> dict[str, object]:
    """A video match's shares, clip length and time ranges, as the API shows them."""
    return {
        "query_match_percent": round(hit.query_percent, 1),
        "compared_match_percent": round(hit.compared_percent, 1),
        "clip_seconds": hit.clip_seconds,
        "matched_ranges": [list(r) for r in hit.ranges],
        "query_ranges": [list(r) for r in hit.query_ranges],
    }


def decide(
    candidates: Iterable[Candidate], rules: Mapping[str, BankRule]
) -> tuple[Decision, list[Match]]:
    """Block if an enabled block-bank entry matches, else review, else allow.

    A candidate counts when it is within its bank's threshold for its signal type and view
    (exact candidates are at distance 0); an entry matched through several views is
    reported once, through the nearest that counts.

    Any safelist match cancels the others: the content is allowed and every match is
    still reported. ``rules`` holds the banks that take part, by bank id.
    """
    best: dict[tuple[str, int], Match] = {}
    for candidate in candidates:
        rule = rules.get(candidate.bank_id)
        if rule is None:
            continue
        if candidate.distance > rule.threshold_for(candidate.signal_type, candidate.view):
            continue
        if candidate.sequence is not None and not rule.sequence.accepts(candidate.sequence):
            continue
        effect = "safelist" if rule.kind is BankKind.SAFELIST else rule.action.value
        match = Match(
            rule.name,
            candidate.entry_id,
            candidate.content_item_id,
            candidate.signal_type,
            candidate.distance,
            effect,
            candidate.view,
            candidate.sequence,
        )
        key = (candidate.signal_type, candidate.entry_id)
        if key not in best or match.distance < best[key].distance:
            best[key] = match
    matches = list(best.values())
    matches.sort(key=lambda m: (m.distance, m.bank, m.entry_id))
    effects = {m.effect for m in matches}
    if "safelist" in effects:
        return Decision.ALLOW, matches
    if BankAction.BLOCK.value in effects:
        return Decision.BLOCK, matches
    if BankAction.REVIEW.value in effects:
        return Decision.REVIEW, matches
    return Decision.ALLOW, matches
