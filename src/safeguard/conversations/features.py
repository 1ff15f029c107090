"""Hashed features of chat text: words, character n-grams and cues.

Each feature is hashed (CRC-32) into one of ``DIMENSIONS`` slots, so the model is a
fixed-size weight vector, the vocabulary is never stored, and new words need no refit.
Character n-grams are taken inside each space-separated token padded with a space, so
spellings, emoticons and punctuation count as well as words. A window of messages is
the sum of its messages' counts; the model weighs each slot's count by TF-IDF
(``model.tfidf``) and scales the window to unit length, so long and short windows
compare.

A message in a stream is scored on its first ``MAX_SCORED_CHARS`` characters (its
cues on all of it), which bounds what one message costs and adds to a conversation's
stored state: at most 3.5 slots a character (a token of L characters has at most 3L
character n-grams and (L + 1) / 2 words), so at most 3,510 distinct slots with the
cues. Every message of the training corpora is shorter (the longest has 801
characters), and training scores whole segments with ``text_counts``, unbounded.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from functools import lru_cache

from safeguard.conversations.cues import detect

DIMENSIONS = 1 << 18
_TOKEN = re.compile(r"[a-z0-9']+")
CHAR_SIZES = (3, 4, 5)
# Characters of a streamed message whose features are scored; chat messages are shorter.
MAX_SCORED_CHARS = 1_000


def message_counts(text: str) -> tuple[Counter[int], list[str]]:
    """Hashed feature counts of one message, and the cues it triggers."""
    lowered = text.lower()
    return _counts(lowered, detect(lowered))


def bounded_message_counts(text: str) -> tuple[Counter[int], list[str]]:
    """``message_counts`` of a streamed message: the features of its first
    ``MAX_SCORED_CHARS`` characters, and the cues of all of it."""
    lowered = text.lower()
    return _counts(lowered[:MAX_SCORED_CHARS], detect(lowered))


def _counts(lowered: str, cues: list[str]) -> tuple[Counter[int], list[str]]:
    """The hashed words, character n-grams and cues of lowercased text."""
    slots = [slot for token in lowered.split() for slot in token_slots(token)]
    # "s:" is part of the hashed feature name the shipped model was trained on: keep it.
    slots += [_slot(f"s:{name}") for name in cues]
    if not slots:
        slots.append(_slot("empty"))
    return Counter(slots), cues


def _slot(name: str) -> int:
    return zlib.crc32(name.encode()) & (DIMENSIONS - 1)


@lru_cache(maxsize=1 << 16)
def token_slots(token: str) -> tuple[int, ...]:
    """The slots of a space-separated lowercase token: its words (letters, digits and
    apostrophes) and its character n-grams (cached: chat words repeat)."""
    padded = f" {token} "
    words = tuple(_slot(f"w:{word}") for word in _TOKEN.findall(token))
    return words + tuple(
        _slot(padded[i : i + size]) for size in CHAR_SIZES for i in range(len(padded) - size + 1)
    )


def text_counts(messages: list[str]) -> Counter[int]:
    """Summed counts of several messages (a window or a whole segment)."""
    total: Counter[int] = Counter()
    for message in messages:
        total.update(message_counts(message)[0])
    return total
