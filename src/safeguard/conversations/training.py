"""Training examples from the corpora, fitting, and the evaluation figures.

A model must score whole segments and also windows of a conversation fed message by
message, including its first few messages. So besides the labelled segments it learns
from the predators' conversations cut the way the stream will see them: every prefix of
their first messages, and later windows. Short negatives come from the negative
segments cut into pieces of a few words (the segments carry no message boundaries).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from safeguard.conversations.corpus import Corpus
from safeguard.conversations.features import DIMENSIONS, message_counts, text_counts
from safeguard.conversations.model import RiskModel
from safeguard.conversations.stream import ConversationState
from safeguard.errors import BadRequest

WINDOW = 30
PREFIXES = (5, 6, 8, 10, 12, 16, 20, 25, 30)  # first messages a stream is scored on
LATER_WINDOWS = 8  # windows of WINDOW messages after the first, per conversation
CHUNK_WORDS = 8  # words per pseudo-message when a negative segment is cut up
NEGATIVE_PIECES = (1, 2, 3, 4, 6, 8, 12, 16, 24)
REGULARISATION = 0.3  # C of the logistic regression
SEGMENT_WEIGHT = 5.0  # sample weight of each labelled segment
PIECE_WEIGHT = 1.0  # sample weight of each piece of a negative segment
STREAM_WEIGHT = 0.2  # sample weight of each predator window (a segment weighs 1)
DECOY_WEIGHT = 0.05  # sample weight of each decoy window, a negative
FALSE_ALARM_BUDGET = 0.005  # share of negative segments, fed as streams, allowed to flag
STREAM_LIMIT = 400  # messages of each conversation fed in evaluation
FOLDS = 5


def settings() -> dict[str, object]:
    """The training settings, recorded in the model file."""
    return {
        "window": WINDOW,
        "prefixes": list(PREFIXES),
        "later_windows": LATER_WINDOWS,
        "chunk_words": CHUNK_WORDS,
        "negative_pieces": list(NEGATIVE_PIECES),
        "regularisation": REGULARISATION,
        "segment_weight": SEGMENT_WEIGHT,
        "piece_weight": PIECE_WEIGHT,
        "stream_weight": STREAM_WEIGHT,
        "decoy_weight": DECOY_WEIGHT,
        "false_alarm_budget": FALSE_ALARM_BUDGET,
        "features": "CRC-32 hashed words, word pairs, character 3- and 4-grams, signals",
        "classifier": "logistic regression (scikit-learn liblinear)",
    }


@dataclass(frozen=True)
class Example:
    counts: Counter[int]
    label: int
    weight: float = 1.0


@dataclass
class Featurised:
    """The corpus as hashed counts, computed once for every fold."""

    segments: list[Counter[int]]
    labels: np.ndarray
    pieces: list[list[Counter[int]]]  # segments cut into pseudo-messages
    predators: list[list[Counter[int]]]
    officers: list[list[Counter[int]]]


def featurise(corpus: Corpus) -> Featurised:
    """Hashed counts of every segment and conversation; refuses a corpus that cannot train
    a model (both kinds of segment are needed)."""
    labels = {label for _, label in corpus.segments}
    if labels != {0, 1}:
        raise BadRequest("the data needs labelled segments of both kinds (label 0 and 1)")
    limit = max(STREAM_LIMIT, WINDOW * (LATER_WINDOWS + 1))
    return Featurised(
        segments=[text_counts([text]) for text, _ in corpus.segments],
        labels=np.array([label for _, label in corpus.segments], dtype=np.int64),
        pieces=[[message_counts(p)[0] for p in chunks(t)] for t, _ in corpus.segments],
        predators=[[message_counts(m)[0] for m in s[:limit]] for s in corpus.predators],
        officers=[[message_counts(m)[0] for m in s[:limit]] for s in corpus.officers],
    )


def chunks(segment: str) -> list[str]:
    """A segment cut into pseudo-messages of CHUNK_WORDS words."""
    words = segment.split()
    return [" ".join(words[i : i + CHUNK_WORDS]) for i in range(0, len(words), CHUNK_WORDS)]


def examples(
    data: Featurised, segments: Sequence[int], streams: Sequence[int], decoys: Sequence[int]
) -> list[Example]:
    """Training examples from the chosen segments, predator streams and decoy streams."""
    found = [Example(data.segments[i], int(data.labels[i]), SEGMENT_WEIGHT) for i in segments]
    for i in segments:
        if data.labels[i] == 0:
            pieces = data.pieces[i]
            found += [
                Example(_summed(pieces[:n]), 0, PIECE_WEIGHT)
                for n in NEGATIVE_PIECES
                if n < len(pieces)
            ]
    for i in streams:
        found += _stream_examples(data.predators[i], 1, STREAM_WEIGHT)
    for i in decoys:
        found += _stream_examples(data.officers[i], 0, DECOY_WEIGHT)
    return found


def _stream_examples(messages: Sequence[Counter[int]], label: int, weight: float) -> list[Example]:
    """Prefixes of a stream's first messages and later whole windows."""
    found = [Example(_summed(messages[:n]), label, weight) for n in PREFIXES if n <= len(messages)]
    for k in range(1, LATER_WINDOWS + 1):
        window = messages[k * WINDOW : (k + 1) * WINDOW]
        if len(window) < WINDOW // 2:
            break
        found.append(Example(_summed(window), label, weight))
    return found


def _summed(counts: Sequence[Counter[int]]) -> Counter[int]:
    total: Counter[int] = Counter()
    for c in counts:
        total.update(c)
    return total


def design_matrix(found: Sequence[Example]) -> sparse.csr_matrix:
    """Rows of log1p counts scaled to unit length, as the model sees a window."""
    rows, cols, values = [], [], []
    for i, example in enumerate(found):
        slots = np.fromiter(example.counts.keys(), dtype=np.int64, count=len(example.counts))
        logs = np.log1p(np.fromiter(example.counts.values(), dtype=np.float64, count=len(slots)))
        norm = math.sqrt(float(logs @ logs)) or 1.0
        rows.append(np.full(len(slots), i))
        cols.append(slots)
        values.append(logs / norm)
    return sparse.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(found), DIMENSIONS),
    )


def fit(found: Sequence[Example]) -> tuple[np.ndarray, float]:
    """Weights and bias of a weighted logistic regression on the examples."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=REGULARISATION, solver="liblinear", max_iter=1000, random_state=0)
    labels = np.array([e.label for e in found])
    model.fit(design_matrix(found), labels, sample_weight=np.array([e.weight for e in found]))
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def risk_trajectory(model: RiskModel, stream: Sequence[Counter[int]]) -> np.ndarray:
    """The risk after each message of a stream (hashed messages), fed one by one."""
    state = ConversationState(model)
    risks = np.empty(len(stream))
    for i, counts in enumerate(stream):
        state.add_counts(counts, [])
        risks[i] = state.risk()
    return risks


def first_crossing(risks: np.ndarray, threshold: float) -> int | None:
    """The index of the first risk at or over the threshold, or None."""
    over = np.flatnonzero(risks >= threshold)
    return int(over[0]) if len(over) else None
