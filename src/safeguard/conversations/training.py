"""Training examples from the corpora, and fitting.

The labelled segments hold both sides of a conversation, so besides them the model
learns from both sides of the Perverted-Justice conversations, cut the way a stream sees
them: consecutive windows of ``WINDOW`` messages, the offender's and the decoy's apart.
Both are positives (a decoy plays the child of a grooming conversation; the segments
labelled predatory contain those lines too). Training on short prefixes as well was
measured and dropped: it made benign conversations' first messages score high.
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
from safeguard.conversations.folds import FOLDS as FOLDS
from safeguard.conversations.model import RiskModel, tfidf
from safeguard.conversations.stream import ConversationState
from safeguard.errors import BadRequest

WINDOW = 30
CONVERSATION_WINDOWS = 9  # windows of WINDOW messages taken from each side of a conversation
CHUNK_WORDS = 8  # words per pseudo-message when a segment is fed as a stream
REGULARISATION = 100.0  # C of the logistic regression
SEGMENT_WEIGHT = 1.0  # sample weight of each labelled segment
WINDOW_WEIGHT = 0.3  # sample weight of each window of a Perverted-Justice conversation
RAMP = 15  # messages before a stream's window counts in full (RiskModel.combine)
FALSE_ALARM_BUDGET = 0.02  # share of negative segments, fed as streams, allowed to flag
STREAM_LIMIT = 400  # messages of each conversation fed in evaluation


def settings() -> dict[str, object]:
    """The training settings, recorded in the model file."""
    return {
        "window": WINDOW,
        "conversation_windows": CONVERSATION_WINDOWS,
        "regularisation": REGULARISATION,
        "segment_weight": SEGMENT_WEIGHT,
        "window_weight": WINDOW_WEIGHT,
        "ramp": RAMP,
        "false_alarm_budget": FALSE_ALARM_BUDGET,
        "features": "CRC-32 hashed words, character 3- to 5-grams and cues; TF-IDF",
        "classifier": "logistic regression (scikit-learn lbfgs), Platt-calibrated",
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
    limit = max(STREAM_LIMIT, WINDOW * CONVERSATION_WINDOWS)
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
    data: Featurised, segments: Sequence[int], predators: Sequence[int], decoys: Sequence[int]
) -> list[Example]:
    """Training examples from the chosen segments and the chosen conversations' sides."""
    found = [Example(data.segments[i], int(data.labels[i]), SEGMENT_WEIGHT) for i in segments]
    for side, chosen in ((data.predators, predators), (data.officers, decoys)):
        for i in chosen:
            found += [Example(w, 1, WINDOW_WEIGHT) for w in _windows(side[i])]
    return found


def _windows(messages: Sequence[Counter[int]]) -> list[Counter[int]]:
    """The summed counts of consecutive windows (at least half full) of a conversation."""
    found = []
    for k in range(CONVERSATION_WINDOWS):
        window = messages[k * WINDOW : (k + 1) * WINDOW]
        if len(window) < WINDOW // 2:
            break
        found.append(_summed(window))
    return found


def _summed(counts: Sequence[Counter[int]]) -> Counter[int]:
    total: Counter[int] = Counter()
    for c in counts:
        total.update(c)
    return total


def inverse_document_frequency(found: Sequence[Example]) -> np.ndarray:
    """Smoothed IDF of each slot over the examples (ln((1 + n) / (1 + df)) + 1), at the
    float16 precision a model file keeps."""
    df = np.zeros(DIMENSIONS)
    for example in found:
        df[np.fromiter(example.counts.keys(), dtype=np.int64, count=len(example.counts))] += 1
    idf = np.log((1.0 + len(found)) / (1.0 + df)) + 1.0
    return idf.astype(np.float16).astype(np.float32)


def design_matrix(found: Sequence[Example], idf: np.ndarray) -> sparse.csr_matrix:
    """Rows of TF-IDF values scaled to unit length, as the model sees a window."""
    rows, cols, values = [], [], []
    for i, example in enumerate(found):
        slots = np.fromiter(example.counts.keys(), dtype=np.int64, count=len(example.counts))
        counts = np.fromiter(example.counts.values(), dtype=np.float64, count=len(slots))
        weighted = tfidf(idf, slots, counts)
        norm = math.sqrt(float(weighted @ weighted)) or 1.0
        rows.append(np.full(len(slots), i))
        cols.append(slots)
        values.append(weighted / norm)
    return sparse.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(found), DIMENSIONS),
    )


def fit(found: Sequence[Example]) -> RiskModel:
    """A weighted logistic regression on the examples (flagging at 0.5 until calibrated)."""
    from sklearn.linear_model import LogisticRegression

    idf = inverse_document_frequency(found)
    model = LogisticRegression(C=REGULARISATION, max_iter=5000)
    labels = np.array([e.label for e in found])
    model.fit(design_matrix(found, idf), labels, sample_weight=np.array([e.weight for e in found]))
    return RiskModel(
        model.coef_[0].astype(np.float32),
        idf,
        float(model.intercept_[0]),
        0.5,
        WINDOW,
        ramp=RAMP,
    )


def log_odds_trajectory(model: RiskModel, stream: Sequence[Counter[int]]) -> np.ndarray:
    """The log-odds after each message of a stream (hashed messages), fed one by one."""
    state = ConversationState(model)
    found = np.empty(len(stream))
    for i, counts in enumerate(stream):
        state.add_counts(counts, [])
        found[i] = state.log_odds()
    return found


def first_crossing(risks: np.ndarray, threshold: float) -> int | None:
    """The index of the first risk at or over the threshold, or None."""
    over = np.flatnonzero(risks >= threshold)
    return int(over[0]) if len(over) else None
