"""Cross-validated evaluation: segment classification and early detection in streams.

Folds split the labelled segments (stratified) and the conversations together, so that
every figure comes from a model that never saw the text it is scored on. Early
detection follows Vogt, Leser and Akbik (2021): the predators' conversations are fed
message by message; a conversation counts as found at the first message whose window
crosses the threshold. Negatives for the streaming figures are the negative segments,
fed as pseudo-messages of eight words (the segments carry no message boundaries). The
decoys' side of the same conversations (adults posing as children) is reported apart:
the decoys are not offenders, but their messages are half of a grooming conversation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from safeguard.conversations.training import (
    FALSE_ALARM_BUDGET,
    FOLDS,
    Featurised,
    examples,
    first_crossing,
    fit,
    log_odds_trajectory,
)
from safeguard.errors import BadRequest


@dataclass
class CrossValidation:
    """Out-of-fold scores: segment risks, and the risk after each message of each stream,
    after the calibration fitted on the out-of-fold segment log-odds."""

    segment_risks: np.ndarray
    labels: np.ndarray
    segment_streams: list[np.ndarray] = field(default_factory=list)
    predators: list[np.ndarray] = field(default_factory=list)
    decoys: list[np.ndarray] = field(default_factory=list)
    calibration: tuple[float, float] = (1.0, 0.0)  # log-odds z become scale * z + shift

    @property
    def negatives(self) -> list[np.ndarray]:
        """The negative segments' streams."""
        return [r for r, label in zip(self.segment_streams, self.labels, strict=True) if not label]


def fold_of(count: int, folds: int, labels: np.ndarray | None = None) -> np.ndarray:
    """Fold numbers, round robin, stratified by label when labels are given."""
    assigned = np.zeros(count, dtype=np.int64)
    if labels is None:
        return np.arange(count) % folds
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        assigned[members] = np.arange(len(members)) % folds
    return assigned


def cross_validate(data: Featurised, folds: int = FOLDS) -> CrossValidation:
    """Train on all folds but one, score the one left out, for every fold; then calibrate
    the out-of-fold log-odds on the segments (Platt scaling)."""
    if min(np.bincount(data.labels, minlength=2)) < folds:
        raise BadRequest(f"{folds}-fold cross-validation needs {folds} segments of each label")
    segment_fold = fold_of(len(data.labels), folds, data.labels)
    predator_fold = fold_of(len(data.predators), folds)
    decoy_fold = fold_of(len(data.officers), folds)
    segments = np.zeros(len(data.labels))
    predators: dict[int, np.ndarray] = {}
    decoys: dict[int, np.ndarray] = {}
    segment_streams: dict[int, np.ndarray] = {}
    for fold in range(folds):
        model = fit(
            examples(
                data,
                np.flatnonzero(segment_fold != fold).tolist(),
                np.flatnonzero(predator_fold != fold).tolist(),
                np.flatnonzero(decoy_fold != fold).tolist(),
            )
        )
        for i in np.flatnonzero(segment_fold == fold):
            segments[i] = model.log_odds(data.segments[i])
            segment_streams[int(i)] = log_odds_trajectory(model, data.pieces[i])
        for i in np.flatnonzero(predator_fold == fold):
            predators[int(i)] = log_odds_trajectory(model, data.predators[i])
        for i in np.flatnonzero(decoy_fold == fold):
            decoys[int(i)] = log_odds_trajectory(model, data.officers[i])
    scale, shift = platt_scaling(segments, data.labels)

    def risks(log_odds: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(scale * log_odds + shift)))

    return CrossValidation(
        risks(segments),
        data.labels,
        [risks(segment_streams[i]) for i in range(len(data.labels))],
        [risks(predators[i]) for i in sorted(predators)],
        [risks(decoys[i]) for i in sorted(decoys)],
        (scale, shift),
    )


def platt_scaling(log_odds: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Scale and shift of the log-odds that make them calibrated probabilities of the
    labels (a one-feature logistic regression, barely regularised)."""
    from sklearn.linear_model import LogisticRegression

    fitted = LogisticRegression(C=1e4).fit(log_odds.reshape(-1, 1), labels)
    return float(fitted.coef_[0, 0]), float(fitted.intercept_[0])


def choose_threshold(cv: CrossValidation, budget: float = FALSE_ALARM_BUDGET) -> float:
    """The threshold (on a 0.01 grid) with the best out-of-fold segment F0.5 among those at
    which at most ``budget`` of the negative segments, fed as streams, are ever flagged;
    the highest of equals."""
    peaks = np.array([r.max() if len(r) else 0.0 for r in cv.negatives])
    best, chosen = -1.0, 0.99
    for threshold in np.round(np.arange(0.05, 1.0, 0.01), 2):
        if np.mean(peaks >= threshold) > budget:
            continue
        precision, recall = _precision_recall(cv.segment_risks >= threshold, cv.labels == 1)
        score = _f_beta(precision, recall, 0.5)
        if score >= best:
            best, chosen = score, float(threshold)
    return chosen


def report(cv: CrossValidation, threshold: float) -> dict[str, object]:
    """Every figure at one threshold (names as in docs/conversations.md)."""
    from sklearn.metrics import roc_auc_score

    predicted = cv.segment_risks >= threshold
    truth = cv.labels == 1
    precision, recall = _precision_recall(predicted, truth)
    firsts = [first_crossing(r, threshold) for r in cv.predators]
    found = [k for k in firsts if k is not None]
    false_alarms = [first_crossing(r, threshold) is not None for r in cv.negatives]
    decoys = [first_crossing(r, threshold) is not None for r in cv.decoys]
    stream_precision, stream_recall = _precision_recall(
        np.array([k is not None for k in firsts] + false_alarms),
        np.array([True] * len(firsts) + [False] * len(false_alarms)),
    )
    stream_f1 = _f_beta(stream_precision, stream_recall, 1.0)
    lengths = [len(r) for r in cv.predators]
    return {
        "threshold": threshold,
        "segments": len(truth),
        "segment_auroc": float(roc_auc_score(truth, cv.segment_risks)),
        "segment_precision": precision,
        "segment_recall": recall,
        "segment_f1": _f_beta(precision, recall, 1.0),
        "segment_f0_5": _f_beta(precision, recall, 0.5),
        "segment_false_alarm_rate": float(np.mean(predicted[~truth])),
        "predator_streams": len(firsts),
        "predators_flagged": len(found) / len(firsts),
        "median_first_flag_message": float(np.median(found)) + 1 if found else None,
        "negative_streams_flagged": float(np.mean(false_alarms)),
        "decoy_streams_flagged": float(np.mean(decoys)),
        "stream_f1": stream_f1,
        "latency_weighted_f1": stream_f1 * _speed(found, float(np.median(lengths))),
    }


def _precision_recall(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    hits = int(np.sum(predicted & truth))
    return hits / max(1, int(predicted.sum())), hits / max(1, int(truth.sum()))


def _f_beta(precision: float, recall: float, beta: float) -> float:
    if precision == 0.0 and recall == 0.0:
        return 0.0
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def _speed(first_indexes: list[int], median_length: float) -> float:
    """1 - the median latency penalty of the found conversations (Vogt et al., 2021).

    A conversation found after k messages costs -1 + 2 / (1 + exp(-p (k - 1))), with p
    set so that the penalty is 0.5 at the median conversation length.
    """
    if not first_indexes:
        return 0.0
    p = math.log(3.0) / max(1.0, median_length - 1.0)
    penalties = [-1.0 + 2.0 / (1.0 + math.exp(-p * k)) for k in first_indexes]
    return 1.0 - float(np.median(penalties))
