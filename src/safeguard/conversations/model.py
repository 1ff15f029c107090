"""The risk model: a logistic regression over a window's hashed features, and its file."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from safeguard.conversations.features import DIMENSIONS
from safeguard.errors import BadRequest

DEFAULT_MODEL = "default_model.npz"


@dataclass(frozen=True)
class RiskModel:
    """Weights over ``DIMENSIONS`` hashed features, the threshold that flags a
    conversation, the window of recent messages scored, and how it was trained."""

    weights: np.ndarray
    bias: float
    threshold: float
    window: int
    about: dict[str, Any] = field(default_factory=dict)

    def risk(self, counts: Counter[int]) -> float:
        """Risk (0..1) of a window given its summed feature counts."""
        if not counts:
            return sigmoid(self.bias)
        slots = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = np.log1p(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        norm = math.sqrt(float(values @ values))
        return sigmoid(float(self.weights[slots].astype(np.float64) @ values) / norm + self.bias)

    def save(self, path: Path) -> None:
        """Write the model as a compressed .npz (weights stored as float16)."""
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float16),
            bias=np.float64(self.bias),
            threshold=np.float64(self.threshold),
            window=np.int64(self.window),
            about=np.array(json.dumps(self.about, sort_keys=True)),
        )

    @classmethod
    def load(cls, path: Path) -> RiskModel:
        """Read a model written by ``save``."""
        try:
            with np.load(path, allow_pickle=False) as data:
                weights = data["weights"].astype(np.float32)
                if weights.shape != (DIMENSIONS,):
                    raise BadRequest(f"{path}: not a model for {DIMENSIONS} features")
                return cls(
                    weights,
                    float(data["bias"]),
                    float(data["threshold"]),
                    int(data["window"]),
                    json.loads(str(data["about"])),
                )
        except (OSError, KeyError, ValueError) as exc:
            raise BadRequest(f"cannot read the model {path}: {exc}") from None

    @classmethod
    def default(cls) -> RiskModel:
        """The model shipped in the package (see docs/conversations.md for its training)."""
        with resources.as_file(resources.files(__package__) / DEFAULT_MODEL) as path:
            return cls.load(path)


def sigmoid(z: float) -> float:
    """The logistic function, without overflow."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
