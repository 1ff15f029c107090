"""The risk model: a logistic regression over a window's TF-IDF weighted hashed features,
and its file."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from safeguard.conversations.features import DIMENSIONS
from safeguard.errors import BadRequest

DEFAULT_MODEL = "default_model.npz"
MODEL_LANGUAGES = ("en",)
"""The languages the shipped model's training corpora are written in (ISO 639-1): it
scores the words of other languages without having learnt them."""


@dataclass(frozen=True)
class RiskModel:
    """Weights and inverse document frequencies over ``DIMENSIONS`` hashed features, the
    threshold that flags a conversation, the window of recent messages scored, and how it
    was trained."""

    weights: np.ndarray
    idf: np.ndarray
    bias: float
    threshold: float
    window: int
    about: dict[str, Any] = field(default_factory=dict)
    ramp: int = 1  # messages before a conversation's words count in full (see ``combine``)

    @cached_property
    def slot_tables(self) -> tuple[list[float], list[float]]:
        """The weights and IDF as Python lists, for the stream's one-slot-at-a-time reads."""
        return self.weights.tolist(), self.idf.tolist()

    def log_odds(self, counts: Counter[int], messages: int | None = None) -> float:
        """The log-odds of a window given its summed feature counts and, in a stream, how
        many messages the conversation has had (``None``: a whole segment)."""
        return self.combine(*self.sums(counts), messages)

    def sums(self, counts: Counter[int]) -> tuple[float, float]:
        """The dot product of the weights with the TF-IDF values of summed feature
        counts, and the squared length of those values (both 0 for no counts)."""
        slots = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = tfidf(self.idf, slots, np.fromiter(counts.values(), np.float64, len(counts)))
        return float(self.weights[slots].astype(np.float64) @ values), float(values @ values)

    def combine(self, dot: float, norm_squared: float, messages: int | None) -> float:
        """The log-odds from a window's dot product with the weights and squared length.

        The window's evidence counts in proportion to the conversation's messages until
        there are ``ramp`` of them: the first few messages say little about a
        conversation, and scaled to unit length they would score like a whole one.
        """
        if norm_squared <= 1e-12:
            return self.bias
        return self.bias + self.share(messages) * dot / math.sqrt(norm_squared)

    def share(self, messages: int | None) -> float:
        """How much a window's evidence counts after ``messages`` messages (1 for a whole
        segment, ``None``)."""
        return 1.0 if messages is None else min(1.0, messages / self.ramp)

    def risk(self, counts: Counter[int]) -> float:
        """Risk (0..1) of a window given its summed feature counts."""
        return sigmoid(self.log_odds(counts))

    def calibrated(self, scale: float, shift: float, threshold: float) -> RiskModel:
        """This model with its log-odds mapped to ``scale * z + shift``, flagging at
        ``threshold``."""
        return replace(
            self,
            weights=(self.weights * scale).astype(np.float32),
            bias=self.bias * scale + shift,
            threshold=threshold,
        )

    def save(self, path: Path) -> None:
        """Write the model as a compressed .npz (weights and IDF stored as float16)."""
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float16),
            idf=self.idf.astype(np.float16),
            bias=np.float64(self.bias),
            threshold=np.float64(self.threshold),
            window=np.int64(self.window),
            ramp=np.int64(self.ramp),
            about=np.array(json.dumps(self.about, sort_keys=True)),
        )

    @classmethod
    def load(cls, path: Path) -> RiskModel:
        """Read a model written by ``save``."""
        try:
            with np.load(path, allow_pickle=False) as data:
                weights = data["weights"].astype(np.float32)
                idf = data["idf"].astype(np.float32)
                window, ramp = int(data["window"]), int(data["ramp"])
                if weights.shape != (DIMENSIONS,) or idf.shape != (DIMENSIONS,):
                    raise BadRequest(f"{path}: not a model for {DIMENSIONS} features")
                if window < 1 or ramp < 1:
                    raise BadRequest(f"{path}: the window and the ramp must be at least 1")
                return cls(
                    weights,
                    idf,
                    float(data["bias"]),
                    float(data["threshold"]),
                    window,
                    json.loads(str(data["about"])),
                    ramp,
                )
        except (OSError, KeyError, ValueError) as exc:
            raise BadRequest(f"cannot read the model {path}: {exc}") from None

    @classmethod
    def chosen(cls, path: Path | None, threshold: float | None = None) -> RiskModel:
        """The model at ``path`` (the shipped one when None), flagging at ``threshold``
        instead of its own when one is given."""
        model = cls.default() if path is None else cls.load(path)
        return model if threshold is None else replace(model, threshold=threshold)

    @classmethod
    def default(cls) -> RiskModel:
        """The model shipped in the package (see docs/conversations.md for its training)."""
        with resources.as_file(resources.files(__package__) / DEFAULT_MODEL) as path:
            return cls.load(path)


def tfidf(idf: np.ndarray, slots: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The TF-IDF value of each slot's count: 1 + ln count, times the slot's IDF."""
    values: np.ndarray = idf[slots].astype(np.float64) * (1.0 + np.log(counts))
    return values


def sigmoid(z: float) -> float:
    """The logistic function, without overflow."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
