"""Streaming scoring: each message updates a conversation's risk without re-reading it.

The state keeps the hashed feature counts of the last ``window`` messages (never their
text), their sums, and the two running sums the model needs: the dot product of the
weights with the TF-IDF values of the counts, and their squared norm. A message changes only the
slots of its own features (and those of the message leaving the window), so an update
costs time in proportion to the message's length, whatever the conversation's length.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from safeguard.conversations.features import message_counts
from safeguard.conversations.model import RiskModel, sigmoid
from safeguard.conversations.signals import AGE_GAP, is_age_gap

# The age gap is not in the training corpora, so it cannot be learned: it adds this
# much to the log-odds of a window, a nudge that cannot flag a conversation alone.
AGE_GAP_LOG_ODDS = 0.5


@dataclass
class SignalHit:
    """A signal and the 0-based indexes of the messages that triggered it."""

    name: str
    messages: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "messages": self.messages}


@dataclass(frozen=True)
class Assessment:
    """A conversation's state after a message."""

    risk: float
    flagged: bool
    first_flag_index: int | None
    signals: list[SignalHit]
    crossed_now: bool  # this message made the conversation cross the threshold


class ConversationState:
    """The incremental state of one conversation under one model."""

    def __init__(self, model: RiskModel) -> None:
        self.model = model
        self.window: deque[Counter[int]] = deque()
        self.totals: Counter[int] = Counter()
        self.dot = 0.0
        self.norm_squared = 0.0
        self.count = 0
        self.first_flag_index: int | None = None
        self.signals: dict[str, SignalHit] = {}
        self.age_bands: set[str] = set()

    def add(self, text: str, age_band: str | None = None) -> Assessment:
        """Score the next message (``age_band``: its sender's, if the platform knows it)."""
        counts, names = message_counts(text)
        return self.add_counts(counts, names, age_band)

    def add_counts(
        self, counts: Counter[int], names: list[str], age_band: str | None = None
    ) -> Assessment:
        """``add`` for a message already featurised (its counts and signal names)."""
        index = self.count
        self.count += 1
        self._shift(counts, +1)
        self.window.append(counts)
        if len(self.window) > self.model.window:
            self._shift(self.window.popleft(), -1)
        for name in names:
            self.signals.setdefault(name, SignalHit(name)).messages.append(index)
        if age_band is not None:
            self.age_bands.add(age_band)
            if is_age_gap(self.age_bands) and AGE_GAP not in self.signals:
                self.signals[AGE_GAP] = SignalHit(AGE_GAP, [index])
        risk = self.risk()
        crossed = self.first_flag_index is None and risk >= self.model.threshold
        if crossed:
            self.first_flag_index = index
        return Assessment(
            risk,
            self.first_flag_index is not None,
            self.first_flag_index,
            list(self.signals.values()),
            crossed,
        )

    def risk(self) -> float:
        """The current window's risk (0..1)."""
        return sigmoid(self.log_odds())

    def log_odds(self) -> float:
        """The current window's log-odds."""
        z = self.model.combine(self.dot, self.norm_squared, self.count)
        if AGE_GAP in self.signals:
            z += AGE_GAP_LOG_ODDS
        return z

    def _shift(self, counts: Counter[int], sign: int) -> None:
        """Add (+1) or take away (-1) a message's counts; the TF-IDF value of a slot's
        count is its IDF times 1 + ln(count), as in ``model.tfidf``."""
        weights, idf = self.model.slot_tables
        totals, log = self.totals, math.log
        dot = norm_squared = 0.0
        for slot, amount in counts.items():
            before = totals.get(slot, 0)
            after = before + sign * amount
            old = idf[slot] * (1.0 + log(before)) if before else 0.0
            new = idf[slot] * (1.0 + log(after)) if after else 0.0
            dot += weights[slot] * (new - old)
            norm_squared += new * new - old * old
            if after:
                totals[slot] = after
            else:
                del totals[slot]
        self.dot += dot
        self.norm_squared += norm_squared
        if not totals:
            self.dot = self.norm_squared = 0.0

    def snapshot(self) -> dict[str, Any]:
        """A JSON-able copy of the state (hashed counts, never text)."""
        return {
            "window": [list(c.items()) for c in self.window],
            "count": self.count,
            "first_flag_index": self.first_flag_index,
            "signals": [s.as_dict() for s in self.signals.values()],
            "age_bands": sorted(self.age_bands),
        }

    @classmethod
    def restore(cls, model: RiskModel, data: dict[str, Any]) -> ConversationState:
        """The state ``snapshot`` recorded, with its running sums rebuilt."""
        state = cls(model)
        for items in data["window"]:
            counts = Counter({int(slot): int(n) for slot, n in items})
            state._shift(counts, +1)
            state.window.append(counts)
        state.count = int(data["count"])
        state.first_flag_index = data["first_flag_index"]
        state.signals = {
            s["name"]: SignalHit(s["name"], [int(i) for i in s["messages"]])
            for s in data["signals"]
        }
        state.age_bands = set(data["age_bands"])
        return state
