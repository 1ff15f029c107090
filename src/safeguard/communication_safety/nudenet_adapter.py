"""NudeNet (AGPL-3.0, the optional extra ``safeguard-child-safety[nudity]``) as a nudity classifier.

NudeNet's detector (a YOLOv8 ONNX model shipped in its wheel, run by onnxruntime) finds
body parts with a score each. It is handed decoded pixels, never a file or raw bytes, so
only Safeguard's capped decoders ever parse an upload.
"""

from __future__ import annotations

import threading
from importlib import resources
from typing import Any

import numpy as np

from safeguard.communication_safety.classifier import ClassifierNotInstalled

EXTRA = "safeguard-child-safety[nudity]"
MODEL_FILE = "320n.onnx"  # the model in NudeNet's wheel
MODEL_SIDE = 320  # its input: images are padded square and scaled to 320 x 320

NUDITY_LABELS = frozenset(
    {
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)
"""Exposed intimate parts. Covered parts, faces, feet, armpits, bellies and male chests
are detected too, but are not nudity."""

DEFAULT_THRESHOLD = 0.5
"""The lowest score that blurs; chosen on benign photos (docs/communication-safety.md)."""


class NudeNetClassifier:
    """NudeNet's detector, loaded on first use (once, whichever thread comes first); a
    label's score is its best detection's."""

    name = "nudenet"
    nudity_labels = NUDITY_LABELS
    threshold = DEFAULT_THRESHOLD

    def __init__(self) -> None:
        self._detector: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        self._loaded()

    def scores(self, pixels: np.ndarray) -> dict[str, float]:
        # NudeNet reads images with OpenCV, in BGR order: give it the same.
        detections = self._loaded().detect(np.ascontiguousarray(pixels[..., ::-1]))
        best: dict[str, float] = {}
        for detection in detections:
            label, score = str(detection["class"]), float(detection["score"])
            best[label] = max(score, best.get(label, 0.0))
        return best

    def _loaded(self) -> Any:
        with self._lock:
            if self._detector is None:
                self._detector = _open_detector()
            return self._detector


def _open_detector() -> Any:
    """NudeNet's detector on a one-thread onnxruntime session: an image takes one core,
    and concurrent requests use the others. (``NudeDetector.__init__`` of the pinned
    3.4.2 takes no session options and lets each image take every core; this sets the
    same four attributes it sets.)"""
    try:
        import onnxruntime
        from nudenet import NudeDetector
    except ImportError:
        raise ClassifierNotInstalled(
            f"the nudity classifier is not installed: pip install '{EXTRA}' (NudeNet, AGPL-3.0)"
        ) from None
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    model = str(resources.files("nudenet") / MODEL_FILE)
    detector = NudeDetector.__new__(NudeDetector)
    detector.onnx_session = onnxruntime.InferenceSession(
        model, options, providers=["CPUExecutionProvider"]
    )
    detector.input_width = detector.input_height = MODEL_SIDE
    detector.input_name = detector.onnx_session.get_inputs()[0].name
    return detector


NUDENET = NudeNetClassifier()
"""The one NudeNet classifier of this process."""
