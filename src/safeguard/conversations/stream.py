"""Streaming scoring: each message updates a conversation's risk without re-reading it.

The state keeps the hashed feature counts of the last ``window`` messages (never their
text), their sums, and the two running sums the model needs: the dot product of the
weights with the TF-IDF values of the counts, and their squared norm. A message changes only the
slots of its own features (and those of the message leaving the window), so an update
costs time in proportion to the message's length, whatever the conversation's length.

What one message costs and adds to the state is bounded: its features come from at most
its first ``MAX_SCORED_CHARS`` characters (``features.bounded_message_counts``), a
snapshot stores each message's counts packed and compressed (under 2.5 bytes a slot,
against 13 as JSON pairs), and each cue lists at most its first
``MAX_CUE_MESSAGES`` messages (every stored message keeps its own cues). A full
window of 30 messages of random letters, about the most distinct features text can
have, snapshots to about 195 KB (tests/unit/test_conversation_limits.py holds it under
256 KB).

Age cues (``age_cues.py``) are listed like the others but do not change the risk: the
first message at which the conversation has one and an adult (an ``18+`` age band)
is recorded as ``age_alert_index``, and the service opens or raises a review item.
"""

from __future__ import annotations

import base64
import math
import zlib
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from safeguard.conversations.age_cues import AGE_CUE_NAMES, detect_age
from safeguard.conversations.cues import ADULT_BAND, AGE_GAP, is_age_gap
from safeguard.conversations.features import bounded_message_counts
from safeguard.conversations.model import RiskModel, sigmoid

# The age gap is not in the training corpora, so it cannot be learned: it adds this
# much to the log-odds of a window, a nudge that cannot flag a conversation alone.
AGE_GAP_LOG_ODDS = 0.5
# Messages listed for each cue: the first ones, which show when it began.
MAX_CUE_MESSAGES = 100


@dataclass
class CueHit:
    """A cue and the 0-based indexes of the messages that triggered it."""

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
    cues: list[CueHit]
    crossed_now: bool  # this message made the conversation cross the threshold
    message_cues: list[str]  # the cues this message triggered
    age_alert_now: bool  # this message made an age cue meet an adult participant


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
        self.cues: dict[str, CueHit] = {}
        self.age_bands: set[str] = set()
        self.age_alert_index: int | None = None

    def add(self, text: str, age_band: str | None = None) -> Assessment:
        """Score the next message (``age_band``: its sender's, if the platform knows it)."""
        counts, names = bounded_message_counts(text)
        return self.add_counts(counts, names + detect_age(text, age_band), age_band)

    def add_counts(
        self, counts: Counter[int], names: list[str], age_band: str | None = None
    ) -> Assessment:
        """``add`` for a message already featurised (its counts and cue names, age cues
        included)."""
        index = self.count
        self.count += 1
        self._shift(counts, +1)
        self.window.append(counts)
        if len(self.window) > self.model.window:
            self._shift(self.window.popleft(), -1)
        triggered = list(names)
        if age_band is not None:
            self.age_bands.add(age_band)
            if is_age_gap(self.age_bands) and AGE_GAP not in self.cues:
                triggered.append(AGE_GAP)
        for name in triggered:
            hit = self.cues.setdefault(name, CueHit(name))
            if len(hit.messages) < MAX_CUE_MESSAGES:
                hit.messages.append(index)
        risk = self.risk()
        crossed = self.first_flag_index is None and risk >= self.model.threshold
        if crossed:
            self.first_flag_index = index
        alert = self.age_alert_index is None and self._has_age_alert()
        if alert:
            self.age_alert_index = index
        return Assessment(
            risk,
            self.first_flag_index is not None,
            self.first_flag_index,
            list(self.cues.values()),
            crossed,
            triggered,
            alert,
        )

    def _has_age_alert(self) -> bool:
        """Whether the conversation has an age cue and an adult participant."""
        return ADULT_BAND in self.age_bands and not AGE_CUE_NAMES.isdisjoint(self.cues)

    def risk(self) -> float:
        """The current window's risk (0..1)."""
        return sigmoid(self.log_odds())

    def log_odds(self) -> float:
        """The current window's log-odds."""
        z = self.model.combine(self.dot, self.norm_squared, self.count)
        if AGE_GAP in self.cues:
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
            "window": [_pack(c) for c in self.window],
            "count": self.count,
            "first_flag_index": self.first_flag_index,
            "cues": [cue.as_dict() for cue in self.cues.values()],
            "age_bands": sorted(self.age_bands),
            "age_alert_index": self.age_alert_index,
        }

    @classmethod
    def restore(cls, model: RiskModel, data: dict[str, Any]) -> ConversationState:
        """The state ``snapshot`` recorded, with its running sums rebuilt."""
        state = cls(model)
        state.window.extend(_unpack(packed) for packed in data["window"])
        for counts in state.window:
            state.totals.update(counts)
        state.dot, state.norm_squared = model.sums(state.totals)
        state.count = int(data["count"])
        state.first_flag_index = data["first_flag_index"]
        # Snapshots written before the rename name their cues "signals".
        cues = data["cues"] if "cues" in data else data["signals"]
        state.cues = {
            c["name"]: CueHit(c["name"], [int(i) for i in c["messages"][:MAX_CUE_MESSAGES]])
            for c in cues
        }
        state.age_bands = set(data["age_bands"])
        state.age_alert_index = data.get("age_alert_index")  # absent before age cues
        return state


def _pack(counts: Counter[int]) -> str:
    """A message's counts as text: base64 of the zlib-compressed little-endian uint32
    gaps between its sorted slots, followed by their counts in the same order."""
    slots = np.fromiter(counts.keys(), dtype=np.uint32, count=len(counts))
    values = np.fromiter(counts.values(), dtype=np.uint32, count=len(counts))
    order = np.argsort(slots)
    gaps = np.diff(slots[order], prepend=np.uint32(0))
    words = np.concatenate([gaps, values[order]]).astype("<u4")
    return base64.b64encode(zlib.compress(words.tobytes(), 1)).decode("ascii")


def _unpack(packed: str | list[list[int]]) -> Counter[int]:
    """The counts ``_pack`` wrote, or [slot, count] pairs (snapshots before packing)."""
    if not isinstance(packed, str):
        return Counter({int(slot): int(n) for slot, n in packed})
    words = np.frombuffer(zlib.decompress(base64.b64decode(packed, validate=True)), "<u4")
    half = len(words) // 2
    slots = np.cumsum(words[:half], dtype=np.int64)
    return Counter(dict(zip(slots.tolist(), words[half:].tolist(), strict=True)))
