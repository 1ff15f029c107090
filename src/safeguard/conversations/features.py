"""Hashed features of chat text: words, word pairs, character n-grams and signals.

Each feature is hashed (CRC-32) into one of ``DIMENSIONS`` slots, so the model is a
fixed-size weight vector, the vocabulary is never stored, and new words need no refit.
A window of messages is the sum of its messages' counts; the model sees ``log1p`` of the
counts, scaled to unit length (``window_vector``), so long and short windows compare.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections import Counter

from safeguard.conversations.signals import detect

DIMENSIONS = 1 << 18
_TOKEN = re.compile(r"[a-z0-9']+")
_CHAR_SIZES = (3, 4)


def message_counts(text: str) -> tuple[Counter[int], list[str]]:
    """Hashed feature counts of one message, and the signals it triggers."""
    lowered = text.lower()
    tokens = _TOKEN.findall(lowered)
    signals = detect(lowered)
    names = [f"w:{t}" for t in tokens]
    names += [f"b:{a} {b}" for a, b in itertools.pairwise(tokens)]
    for token in tokens:
        padded = f"<{token}>"
        for size in _CHAR_SIZES:
            names += [padded[i : i + size] for i in range(len(padded) - size + 1)]
    names += [f"s:{name}" for name in signals]
    if not tokens:
        names.append("empty")
    return Counter(zlib.crc32(n.encode()) & (DIMENSIONS - 1) for n in names), signals


def text_counts(messages: list[str]) -> Counter[int]:
    """Summed counts of several messages (a window or a whole segment)."""
    total: Counter[int] = Counter()
    for message in messages:
        total.update(message_counts(message)[0])
    return total
