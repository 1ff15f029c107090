"""The decision: blur when any nudity label scores at least the threshold, else show."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    BLUR = "blur"
    SHOW = "show"


def decide(scores: Mapping[str, float], nudity_labels: Iterable[str], threshold: float) -> Action:
    """``blur`` when a nudity label's score is at least ``threshold``; other labels (a
    face, a covered part) never blur."""
    nudity = max((scores.get(label, 0.0) for label in nudity_labels), default=0.0)
    return Action.BLUR if nudity >= threshold else Action.SHOW


@dataclass(frozen=True)
class Verdict:
    """What to do with one image, the classifier's scores and its name."""

    action: Action
    scores: Mapping[str, float]
    classifier: str

    def as_dict(self) -> dict[str, object]:
        """``action``, ``scores`` (highest first, to 4 places) and ``classifier``."""
        ranked = sorted(self.scores.items(), key=lambda item: (-item[1], item[0]))
        return {
            "action": self.action.value,
            "scores": {label: round(score, 4) for label, score in ranked},
            "classifier": self.classifier,
        }
