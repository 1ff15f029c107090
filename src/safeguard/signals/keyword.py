"""Keywords: phrases of one to five words, matched in text at word boundaries.

Keywords and text go through one folding (``fold_words``), so that common obfuscations
meet the listed phrase: NFKC and case folding, marks (diacritics) and invisible
characters (soft hyphens, zero-width spaces) stripped, leet digits and symbols read as
letters (``LEET_DIGITS``, ``LEET_SYMBOLS``), single letters spaced out by one and the
same gap joined (``b l u e``, ``b.l.u.e``), and runs of one letter collapsed
(``bluuue``). A text is split into folded words and every run of one to five
of them is looked up by equality (``phrase_forms``). What is covered and what is not:
``docs/url-and-keyword-lists.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from safeguard.errors import InvalidSignal
from safeguard.signals.base import SignalValue
from safeguard.signals.text_values import TextSignal

MAX_WORDS = 5
"""The most words a keyword may have (and the longest run of a text looked up)."""
MAX_TEXT_CHARS = 20_000
"""The longest text whose phrases are looked up."""

LEET_DIGITS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
"""Digits read as letters wherever they are."""
LEET_SYMBOLS = {"@": "a", "$": "s", "!": "i", "|": "l", "+": "t", "€": "e", "£": "l"}
"""Symbols read as letters when a letter or digit follows them (``h@t``, ``$ail``); at
the end of a word they stay punctuation (``cat!``)."""

_SYMBOL_BEFORE_WORD = re.compile(f"[{re.escape(''.join(LEET_SYMBOLS))}](?=[^\\W_])")
_WORD = re.compile(r"[^\W_]+")
_SPACED_GAP = re.compile(r"[.\-_*]*\s?[.\-_*]*")
_RUN = re.compile(r"(.)\1+")
_DIGITS = str.maketrans(LEET_DIGITS)
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")  # soft hyphen, zero widths


class KeywordSignal(TextSignal):
    """Phrases of a keyword list, looked up by equality in the database."""

    name = "keyword"
    examples: tuple[str, ...] = ("blue girafe", "paper lantern")

    def normalise(self, value: str) -> str:
        if not isinstance(value, str):
            raise InvalidSignal("a keyword must be a string")
        if len(value) > 1000:
            raise InvalidSignal("a keyword must be at most 1000 characters")
        words = fold_words(value)
        if not 1 <= len(words) <= MAX_WORDS:
            raise InvalidSignal(
                f"a keyword must have 1 to {MAX_WORDS} words of letters or digits, got {len(words)}"
            )
        return " ".join(words)

    def lookup_forms(self, value: str) -> Sequence[SignalValue]:
        """Every run of one to five folded words of a phrase (a search term, a post);
        InvalidSignal for a phrase without words."""
        forms = phrase_forms(value) if isinstance(value, str) else []
        if not forms:
            raise InvalidSignal("a keyword lookup needs a phrase of letters or digits")
        return [SignalValue(form) for form in forms]


KEYWORD = KeywordSignal()


def fold_words(text: str) -> list[str]:
    """The folded words of ``text``: the one form keywords and text are compared in."""
    return _finished(["".join(group) for group in _groups(text)])


def phrase_forms(text: str) -> list[str]:
    """Every distinct run of one to ``MAX_WORDS`` folded words of ``text``, in order;
    InvalidSignal for a text longer than ``MAX_TEXT_CHARS``. A spaced-out word may have a
    one-letter word beside it (``a b l u e``): its runs are also read with their first
    letter, their last letter, or both, as words of their own."""
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidSignal(f"a text to screen must be at most {MAX_TEXT_CHARS} characters")
    groups = _groups(text)
    readings = [_finished(["".join(group) for group in groups])]
    if any(len(group) >= 3 for group in groups):
        readings += [
            _finished([piece for group in groups for piece in _split_run(group, first, last)])
            for first, last in ((True, False), (False, True), (True, True))
        ]
    forms = (
        " ".join(words[start : start + n])
        for words in readings
        for start in range(len(words))
        for n in range(1, MAX_WORDS + 1)
        if start + n <= len(words)
    )
    return list(dict.fromkeys(forms))


def _groups(text: str) -> list[list[str]]:
    """The words of ``text`` after case folding, stripping marks and reading leet, each
    with its runs of one letter collapsed, grouped: a word alone, or the single letters
    of a run spaced out by one and the same gap of at most one space and any dots,
    dashes, underscores or stars (``b l u e``, ``b.l.u.e``)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    folded = "".join(c for c in folded if unicodedata.category(c)[0] != "M" and c not in _INVISIBLE)
    folded = unicodedata.normalize("NFKC", folded).casefold()
    folded = _SYMBOL_BEFORE_WORD.sub(lambda m: LEET_SYMBOLS[m.group()], folded)
    folded = folded.translate(_DIGITS)
    groups: list[list[str]] = []
    gaps: list[str | None] = []  # each group's gap between its letters
    previous_end = -1
    for match in _WORD.finditer(folded):
        word = _collapsed(match.group())
        gap = folded[previous_end : match.start()]
        run = bool(groups) and len(word) == 1 and len(groups[-1][-1]) == 1
        if run and _SPACED_GAP.fullmatch(gap) and gaps[-1] in (None, gap):
            groups[-1].append(word)
            gaps[-1] = gap
        elif run and _SPACED_GAP.fullmatch(gap) and len(groups[-1]) == 2:
            groups.append([groups[-1].pop(), word])  # "a b.l.u.e": the run starts at b
            gaps.append(gap)
        else:
            groups.append([word])
            gaps.append(None)
        previous_end = match.end()
    return groups


def _split_run(group: list[str], first: bool, last: bool) -> list[str]:
    """A run of three letters or more read with its first and/or last letter apart."""
    if len(group) < 3:
        return ["".join(group)]
    head = group[:1] if first else []
    tail = group[-1:] if last else []
    return [*head, "".join(group[len(head) : len(group) - len(tail)]), *tail]


def _finished(words: list[str]) -> list[str]:
    """Words with runs of one letter collapsed, then neighbouring one-letter words (left
    apart by a wider gap) joined, so that folding its own output changes nothing."""
    finished: list[str] = []
    single = False
    for word in map(_collapsed, words):
        if len(word) == 1 and single:
            finished[-1] += word
        else:
            finished.append(word)
            single = len(word) == 1
    return [_collapsed(word) for word in finished]


def _collapsed(word: str) -> str:
    """``word`` with each run of one character reduced to one (``baaad``: ``bad``)."""
    return _RUN.sub(r"\1", word)
