"""Explainable grooming cues: patterns from the literature, each shown with its messages.

The categories follow the grooming stages described by O'Connell (2003) and
Lorenzo-Dus et al. (2016): probing the child's age, requests for secrecy, assessing the
risk of being caught and isolating the child, moving the chat to another platform,
requests for images or video, gifts and money, arranging to meet, and sexualised
language. Each detector is a small set of regular expressions over lowercased text.
Cues are evidence for a moderator, not a verdict: ordinary conversations trigger
them too (a surprise party is a secret), which is why they feed the model as features
rather than deciding on their own. The age gap comes from age bands the platform
supplies, not from text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CueType:
    """A named category of grooming behaviour and the patterns that detect it."""

    name: str
    description: str
    pattern: re.Pattern[str]


def _any(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives))


_YOU = r"(?:you|u|ya)"
_YOUR = r"(?:your|ur|yr)"
_PARENT = r"(?:parents?|mom|mum|mommy|mother|dad|daddy|father|folks|family)"

CUE_TYPES: tuple[CueType, ...] = (
    CueType(
        "age_probing",
        "asks the other person's age or school year",
        _any(
            rf"\bhow old (?:are|r) {_YOU}\b",
            rf"\bwhat(?:'?s| is)? {_YOUR} age\b",
            r"\ba/?s/?l\b",
            rf"\b(?:are|r) {_YOU} (?:1[0-9]|[5-9])\b",
            r"\bwhat grade\b",
            rf"\b{_YOU} (?:still )?in (?:school|grade|middle school|high school)\b",
            r"\bhow old\b",
        ),
    ),
    CueType(
        "secrecy",
        "asks to keep the conversation secret or to delete it",
        _any(
            r"\b(?:don'?t|do not|dont|never) tell\b",
            r"\bour (?:little )?secret\b",
            r"\bkeep (?:it|this|that) (?:between us|a secret|secret|quiet)\b",
            r"\bdelete (?:the|our|this|these|it|all)? ?"
            r"(?:chats?|messages?|texts?|convos?|history)\b",
            r"\bno ?one (?:can|has to|needs to|will) (?:know|find out)\b",
            r"\bjust between (?:us|you and me)\b",
        ),
    ),
    CueType(
        "isolation",
        "checks whether adults are around, or sets the child against them",
        _any(
            rf"\b(?:are|r) {_YOU} (?:home )?alone\b",
            rf"\bwhere (?:are|r|is) {_YOUR} {_PARENT}\b",
            rf"\b{_YOUR} {_PARENT} (?:home|around|there|at work|away|asleep|gone)\b",
            rf"\bwho(?:'s| is) (?:home|there) with {_YOU}\b",
            rf"\bwhen (?:do|does|will) {_YOUR} {_PARENT} (?:get home|leave|come back|go)\b",
            rf"\b{_YOUR} {_PARENT} (?:check|read|look at|see) {_YOUR}\b",
            rf"\b{_YOUR} (?:room|door) (?:locked|closed)\b",
            rf"\b{_PARENT} (?:don'?t|do not|doesn'?t|does not|wouldn'?t) understand\b",
        ),
    ),
    CueType(
        "platform_move",
        "asks to move to another app, a phone number or a webcam",
        _any(
            r"\b(?:add|message|msg|text|call|dm|find) me on\b",
            r"\b(?:snap ?chat|whats ?app|kik|telegram|skype|discord|signal app|insta(?:gram)?)\b",
            rf"\b(?:give|send|tell) me {_YOUR} (?:number|phone|cell|digits)\b",
            rf"\bwhat(?:'?s| is) {_YOUR} (?:number|cell|phone number|snap|email)\b",
            r"\b(?:web ?cam|cam to cam|on cam)\b",
            rf"\bcan i call {_YOU}\b",
        ),
    ),
    CueType(
        "image_request",
        "asks for pictures or video",
        _any(
            r"\b(?:send|post|show|share) (?:me )?(?:a |an |some |more |another |the )?"
            r"(?:pic|pics|picture|pictures|photo|photos|selfie|selfies|video|vid|vids|image)\b",
            rf"\bturn on {_YOUR} cam\b",
            rf"\bsee {_YOU} on (?:cam|video)\b",
            r"\b(?:got|have) any (?:pics|pictures|photos)\b",
            r"\bpic of (?:you|u|yourself)\b",
        ),
    ),
    CueType(
        "gifts_money",
        "offers gifts, money or favours",
        _any(
            rf"\b(?:buy|get|send) {_YOU} (?:a |an |some |something|anything)",
            r"\bgift ?cards?\b",
            r"\bi(?:'ll| will) pay\b",
            r"\b(?:money|cash|dollars|bucks)\b",
            rf"\bpresent for {_YOU}\b",
        ),
    ),
    CueType(
        "meeting",
        "arranges to meet in person",
        _any(
            rf"\bmeet (?:up|{_YOU}|me|in person|somewhere)\b",
            rf"\b(?:pick|picking) {_YOU} up\b",
            rf"\bcome (?:over|see {_YOU}|to {_YOUR})\b",
            rf"\bwhere do {_YOU} live\b",
            rf"\bwhat(?:'?s| is) {_YOUR} address\b",
            r"\bhang out\b",
            r"\b(?:drive|come) (?:up|down|over) (?:to|there)\b",
            r"\bhotel\b",
        ),
    ),
    CueType(
        "sexualised_language",
        "sexual words or questions about the body or experience",
        _any(
            r"\bsex(?:y|ual|ually)?\b",
            r"\b(?:naked|nude|nudes|undress(?:ed)?)\b",
            r"\b(?:bra|panties|underwear|lingerie)\b",
            r"\bvirgin\b",
            r"\b(?:horny|aroused|turned on)\b",
            r"\b(?:kiss|kissing|touch|touching|cuddle)\b",
            r"\bin (?:bed|the shower)\b",
            r"\bexperienced?\b",
        ),
    ),
)
AGE_GAP = "age_gap"
CUE_NAMES = (*(cue.name for cue in CUE_TYPES), AGE_GAP)

# Age bands a platform may send, youngest first; the last is adult.
AGE_BANDS = ("under-13", "13-15", "16-17", "18+")


def detect(text: str) -> list[str]:
    """Names of the text cues a message triggers, in CUE_TYPES order."""
    lowered = text.lower()
    return [cue.name for cue in CUE_TYPES if cue.pattern.search(lowered)]


def is_age_gap(bands: set[str]) -> bool:
    """Whether the participants' age bands include an adult and a child."""
    return AGE_BANDS[-1] in bands and any(band in bands for band in AGE_BANDS[:-1])
