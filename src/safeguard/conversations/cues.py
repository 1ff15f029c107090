"""Explainable grooming cues: patterns from the literature, each shown with its messages.

The categories follow the grooming stages described by O'Connell (2003) and
Lorenzo-Dus et al. (2016): probing the child's age, requests for secrecy, assessing the
risk of being caught and isolating the child, moving the chat to another platform,
requests for images or video, gifts and money, arranging to meet, and sexualised
language. Each detector is a small set of regular expressions over folded text
(lowercased, accents and curly apostrophes made plain), in English, Spanish, German and
French (``cue_languages.py``). Cues are evidence for a moderator, not a verdict: ordinary
conversations trigger them too (a surprise party is a secret), which is why they feed
the model as features rather than deciding on their own. The age gap comes from age
bands the platform supplies, not from text. What participants say of their own age is
in ``age_cues.py``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from safeguard.accounts import bands
from safeguard.accounts.bands import KNOWN_BANDS, AgeBand
from safeguard.conversations.cue_languages import OTHER_LANGUAGES


@dataclass(frozen=True)
class CueType:
    """A named category of grooming behaviour and the patterns that detect it."""

    name: str
    description: str
    pattern: re.Pattern[str]


def any_of(*alternatives: str) -> re.Pattern[str]:
    """One pattern matching any of the alternatives."""
    return re.compile("|".join(f"(?:{a})" for a in alternatives))


def _cue(name: str, description: str, *english: str) -> CueType:
    """A cue with its English alternatives and those of ``OTHER_LANGUAGES``."""
    others = (a for phrases in OTHER_LANGUAGES.values() for a in phrases.get(name, ()))
    return CueType(name, description, any_of(*english, *others))


_YOU = r"(?:you|u|ya)"
_YOUR = r"(?:your|ur|yr)"
_PARENT = r"(?:parents?|mom|mum|mommy|mother|dad|daddy|father|folks|family)"

CUE_TYPES: tuple[CueType, ...] = (
    _cue(
        "age_probing",
        "asks the other person's age or school year",
        rf"\bhow old (?:are|r) {_YOU}\b",
        rf"\bwhat(?:'?s| is)? {_YOUR} age\b",
        r"\ba/?s/?l\b",
        rf"\b(?:are|r) {_YOU} (?:1[0-9]|[5-9])\b",
        r"\bwhat grade\b",
        rf"\b{_YOU} (?:still )?in (?:school|grade|middle school|high school)\b",
        r"\bhow old\b",
    ),
    _cue(
        "secrecy",
        "asks to keep the conversation secret or to delete it",
        r"\b(?:don'?t|do not|dont|never) tell\b",
        r"\bour (?:little )?secret\b",
        r"\bkeep (?:it|this|that) (?:between us|a secret|secret|quiet)\b",
        r"\bdelete (?:the|our|this|these|it|all)? ?"
        r"(?:chats?|messages?|texts?|convos?|history)\b",
        r"\bno ?one (?:can|has to|needs to|will) (?:know|find out)\b",
        r"\bjust between (?:us|you and me)\b",
    ),
    _cue(
        "isolation",
        "checks whether adults are around, or sets the child against them",
        rf"\b(?:are|r) {_YOU} (?:home )?alone\b",
        rf"\bwhere (?:are|r|is) {_YOUR} {_PARENT}\b",
        rf"\b{_YOUR} {_PARENT} (?:home|around|there|at work|away|asleep|gone)\b",
        rf"\bwho(?:'s| is) (?:home|there) with {_YOU}\b",
        rf"\bwhen (?:do|does|will) {_YOUR} {_PARENT} (?:get home|leave|come back|go)\b",
        rf"\b{_YOUR} {_PARENT} (?:check|read|look at|see) {_YOUR}\b",
        rf"\b{_YOUR} (?:room|door) (?:locked|closed)\b",
        rf"\b{_PARENT} (?:don'?t|do not|doesn'?t|does not|wouldn'?t) understand\b",
    ),
    _cue(
        "platform_move",
        "asks to move to another app, a phone number or a webcam",
        r"\b(?:add|message|msg|text|call|dm|find) me on\b",
        r"\b(?:snap ?chat|whats ?app|kik|telegram|skype|discord|signal app|insta(?:gram)?)\b",
        rf"\b(?:give|send|tell) me {_YOUR} (?:number|phone|cell|digits)\b",
        rf"\bwhat(?:'?s| is) {_YOUR} (?:number|cell|phone number|snap|email)\b",
        r"\b(?:web ?cam|cam to cam|on cam)\b",
        rf"\bcan i call {_YOU}\b",
    ),
    _cue(
        "image_request",
        "asks for pictures or video",
        r"\b(?:send|post|show|share) (?:me )?(?:a |an |some |more |another |the )?"
        r"(?:pic|pics|picture|pictures|photo|photos|selfie|selfies|video|vid|vids|image)\b",
        rf"\bturn on {_YOUR} cam\b",
        rf"\bsee {_YOU} on (?:cam|video)\b",
        r"\b(?:got|have) any (?:pics|pictures|photos)\b",
        r"\bpic of (?:you|u|yourself)\b",
    ),
    _cue(
        "gifts_money",
        "offers gifts, money or favours",
        rf"\b(?:buy|get|send) {_YOU} (?:a |an |some |something|anything)",
        r"\bgift ?cards?\b",
        r"\bi(?:'ll| will) pay\b",
        r"\b(?:money|cash|dollars|bucks)\b",
        rf"\bpresent for {_YOU}\b",
    ),
    _cue(
        "meeting",
        "arranges to meet in person",
        rf"\bmeet (?:up|{_YOU}|me|in person|somewhere)\b",
        rf"\b(?:pick|picking) {_YOU} up\b",
        rf"\bcome (?:over|see {_YOU}|to {_YOUR})\b",
        rf"\bwhere do {_YOU} live\b",
        rf"\bwhat(?:'?s| is) {_YOUR} address\b",
        r"\bhang out\b",
        r"\b(?:drive|come) (?:up|down|over) (?:to|there)\b",
        r"\bhotel\b",
    ),
    _cue(
        "sexualised_language",
        "sexual words or questions about the body or experience",
        r"\bsex(?:y|ual|ually)?\b",
        r"\b(?:naked|nude|nudes|undress(?:ed)?)\b",
        r"\b(?:bra|panties|underwear|lingerie)\b",
        r"\bvirgin\b",
        r"\b(?:horny|aroused|turned on)\b",
        r"\b(?:kiss|kissing|touch|touching|cuddle)\b",
        r"\bin (?:bed|the shower)\b",
        r"\bexperienced?\b",
    ),
)
AGE_GAP = "age_gap"
CUE_NAMES = (*(cue.name for cue in CUE_TYPES), AGE_GAP)

# Age bands a platform may send, youngest first; the last is adult (``accounts/bands.py``).
AGE_BANDS = tuple(band.value for band in KNOWN_BANDS)
ADULT_BAND = AgeBand.ADULT.value
CHILD_BANDS = frozenset(band.value for band in bands.CHILD_BANDS)


CUE_LANGUAGES = ("en", *OTHER_LANGUAGES)
"""The languages the cues' phrases are written in (ISO 639-1)."""


def fold(text: str) -> str:
    """Text as the cue patterns read it: lowercased, without accents, with plain
    apostrophes (``Qué`` -> ``que``, a curly apostrophe -> ``'``, ``ß`` -> ``ss``)."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered.replace("ß", "ss"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("\u2019", "'").replace("\u2018", "'")


def detect(text: str) -> list[str]:
    """Names of the text cues a message triggers, in CUE_TYPES order."""
    folded = fold(text)
    return [cue.name for cue in CUE_TYPES if cue.pattern.search(folded)]


def is_age_gap(bands: set[str]) -> bool:
    """Whether the participants' age bands include an adult and a child."""
    return ADULT_BAND in bands and not CHILD_BANDS.isdisjoint(bands)
