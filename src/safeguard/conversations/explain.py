"""Why a conversation scores as it does: every cue described, and, when a flag has no
cue of the text behind it, the words that weighed most.

A word's weight is its share of the current window's log-odds: each hashed feature
(a word or a character n-gram) adds its weight times its TF-IDF value, scaled as the
model scales the window (``RiskModel.combine``), and that amount is split evenly over
the feature's occurrences in the window. Summed over the occurrences of a word's
features, it says how much the word pushed the risk up. The stored state holds hashed
counts only, so the words are read from the window's message text while it is held
(``SAFEGUARD_MESSAGE_RETENTION_HOURS``); they are worked out when an answer is given and
never stored.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable

from safeguard.conversations.age_cues import AGE_CUE_TYPES
from safeguard.conversations.cues import AGE_GAP, CUE_LANGUAGES, CUE_TYPES
from safeguard.conversations.features import MAX_SCORED_CHARS, token_slots
from safeguard.conversations.model import MODEL_LANGUAGES
from safeguard.conversations.stream import ConversationState, CueHit

CUE_DESCRIPTIONS = {cue.name: cue.description for cue in (*CUE_TYPES, *AGE_CUE_TYPES)} | {
    AGE_GAP: "the platform's age bands put an adult and a minor in the conversation"
}
TEXT_CUES = frozenset(cue.name for cue in CUE_TYPES)
MAX_PHRASES = 5
_PUNCTUATION = '.,;:!?"()[]{}<>*_~`'


def cue_view(hit: CueHit) -> dict[str, object]:
    """A cue as answers show it: its name, what it means and its messages."""
    return {
        "name": hit.name,
        "description": CUE_DESCRIPTIONS.get(hit.name, ""),
        "messages": hit.messages,
    }


def needs_phrases(state: ConversationState) -> bool:
    """Whether the conversation is flagged with no cue of its text to say why."""
    return state.first_flag_index is not None and TEXT_CUES.isdisjoint(state.cues)


def weighed_most(
    state: ConversationState, texts: Iterable[str], limit: int = MAX_PHRASES
) -> list[dict[str, object]]:
    """The words of ``texts`` (the current window's messages, or those still held) that
    add most to the window's log-odds, most first: ``text`` and ``log_odds``."""
    if state.norm_squared <= 1e-12:
        return []
    weights, idf = state.model.slot_tables
    scale = state.model.share(state.count) / math.sqrt(state.norm_squared)
    totals = state.totals
    scores: defaultdict[str, float] = defaultdict(float)
    for text in texts:
        for token in text.lower()[:MAX_SCORED_CHARS].split():
            word = token.strip(_PUNCTUATION) or token
            for slot in token_slots(token):
                count = totals.get(slot, 0)
                if count:
                    value = idf[slot] * (1.0 + math.log(count))
                    scores[word] += weights[slot] * value * scale / count
    ranked = sorted((item for item in scores.items() if item[1] > 0), key=lambda i: -i[1])
    return [{"text": word, "log_odds": round(score, 3)} for word, score in ranked[:limit]]


def answer(
    conversation_id: str, state: ConversationState, window_texts: Callable[[], list[str]]
) -> dict[str, object]:
    """A conversation's state as the API and the CLI give it; ``window_texts`` is only
    called for a flag that no text cue explains."""
    phrases = weighed_most(state, window_texts()) if needs_phrases(state) else []
    return {
        "conversation_id": conversation_id,
        "messages": state.count,
        "risk": round(state.risk(), 4),
        "threshold": state.model.threshold,
        "flagged": state.first_flag_index is not None,
        "first_flag_index": state.first_flag_index,
        "age_alert_index": state.age_alert_index,
        "cues": [cue_view(hit) for hit in state.cues.values()],
        "weighed_most": phrases,
        "model_languages": list(MODEL_LANGUAGES),
        "cue_languages": list(CUE_LANGUAGES),
    }
