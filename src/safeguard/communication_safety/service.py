"""Checking one image: decoded within the caps, scored, decided; the prompt for a blur."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image

from safeguard.accounts.guidance import Guidance, Prompt
from safeguard.communication_safety.classifier import NudityClassifier, get_classifier
from safeguard.communication_safety.decision import Verdict, decide
from safeguard.config import Settings
from safeguard.media.decode import DecodedImage, DecodeLimits, decode_image

Direction = Literal["received", "sent"]
"""Whether the child's account received the image or is sending it."""

_TOPICS: dict[Direction, str] = {"received": "nudity_received", "sent": "nudity_sending"}

MAX_SIDE = 640
"""Images are scaled down to this long side before scoring: twice NudeNet's input size,
and a bound on the classifier's memory whatever the upload's shape."""


def classifier_pixels(image: DecodedImage) -> np.ndarray:
    """(h, w, 3) RGB uint8 pixels of ``image``, the long side at most ``MAX_SIDE``."""
    picture = Image.fromarray(image.pixels)
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    return np.asarray(picture.convert("RGB"))


@dataclass(frozen=True)
class CommunicationSafety:
    """The configured classifier, threshold, guidance texts and decoding caps."""

    classifier: NudityClassifier
    threshold: float
    guidance: Guidance
    limits: DecodeLimits

    @classmethod
    def from_settings(
        cls, settings: Settings, guidance: Guidance | None = None
    ) -> CommunicationSafety:
        """``SAFEGUARD_NUDITY_CLASSIFIER`` (its own threshold unless
        ``SAFEGUARD_NUDITY_THRESHOLD`` is set), the image caps, and ``guidance`` (by
        default loaded from ``SAFEGUARD_GUIDANCE_*``)."""
        classifier = get_classifier(settings.nudity_classifier)
        threshold = settings.nudity_threshold
        return cls(
            classifier,
            classifier.threshold if threshold is None else threshold,
            guidance or Guidance.load(settings.guidance_file, settings.guidance_locale),
            DecodeLimits.from_settings(settings),
        )

    def classify(self, data: bytes) -> Verdict:
        """Blur or show the image in ``data``; a SafeguardError if it is not a usable
        image (the first frame of an animation is scored) or the classifier is missing."""
        pixels = classifier_pixels(decode_image(data, self.limits))
        scores = self.classifier.scores(pixels)
        action = decide(scores, self.classifier.nudity_labels, self.threshold)
        return Verdict(action, scores, self.classifier.name)

    def prompt(self, direction: Direction, locale: str | None = None) -> Prompt:
        """The warning and help resources to show with a blurred image."""
        return self.guidance.prompt(_TOPICS[direction], locale)
