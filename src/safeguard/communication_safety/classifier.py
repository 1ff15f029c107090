"""The contract of a nudity classifier, and how the configured one is found."""

from __future__ import annotations

from functools import cache
from typing import Protocol, runtime_checkable

import numpy as np

from safeguard.errors import ConfigError, SafeguardError
from safeguard.plugins import load_plugins

ENTRY_POINT_GROUP = "safeguard.nudity_classifiers"


class ClassifierNotInstalled(SafeguardError):
    """The configured classifier's packages are missing: the operator's to install."""

    slug = "classifier-not-installed"
    title = "Nudity classifier not installed"
    status = 501


@runtime_checkable
class NudityClassifier(Protocol):
    """Scores an image for nudity, offline. ``threshold`` is its own blurring score."""

    name: str
    nudity_labels: frozenset[str]
    """The labels whose scores count as nudity (others, such as faces, are informative)."""
    threshold: float

    def load(self) -> None:
        """Load the model now, once per process; ClassifierNotInstalled if it is missing."""
        ...

    def scores(self, pixels: np.ndarray) -> dict[str, float]:
        """Scores from 0 to 1 by label for (h, w, 3) RGB uint8 pixels; absent labels
        score 0."""
        ...


@cache
def classifiers() -> dict[str, NudityClassifier]:
    """Every classifier by name: NudeNet, then those of installed plug-ins."""
    from safeguard.communication_safety.nudenet_adapter import NUDENET

    return load_plugins(ENTRY_POINT_GROUP, [NUDENET], NudityClassifier)


def get_classifier(name: str) -> NudityClassifier:
    """The classifier called ``name``; a ConfigError naming those there are if none is."""
    known = classifiers()
    if name not in known:
        raise ConfigError(
            f"SAFEGUARD_NUDITY_CLASSIFIER: no classifier {name!r}; there are {', '.join(known)}"
        )
    return known[name]
