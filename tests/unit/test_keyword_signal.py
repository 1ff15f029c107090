"""Keyword folding and phrases: obfuscated spellings meet the listed phrase, words match
only whole, and folding is stable."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.errors import InvalidSignal
from safeguard.signals.keyword import KEYWORD, MAX_TEXT_CHARS, fold_words, phrase_forms

LISTED = "blue giraffe"

SPELLINGS = {
    "case": "BLUE Giraffe",
    "leet digits": "blu3 g1r4ff3",
    "leet symbols": "blue gir@ffe",
    "spaced letters": "b l u e giraffe",
    "dotted letters": "b.l.u.e g.i.r.a.f.f.e",
    "dashed letters": "b-l-u-e giraffe",
    "repeated letters": "bluuuue giraaaffffe",
    "diacritics": "blüé gìräffe",
    "full-width letters": "\uff42\uff4c\uff55\uff45 \uff47\uff49\uff52\uff41\uff46\uff46\uff45",
    "punctuation around": "(blue, giraffe!)",
    "other spacing": "blue\n\tgiraffe",
    "invisible characters": "blue gir\u00adaf\u200bfe",
}


def found_in(text: str, keyword: str = LISTED) -> bool:
    return KEYWORD.normalise(keyword) in phrase_forms(text)


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=list(SPELLINGS))
def test_obfuscated_spellings_meet_the_listed_phrase(spelling: str) -> None:
    assert found_in(f"we saw a {spelling} today")


def test_words_match_only_whole() -> None:
    assert not found_in("concatenate", "cat")
    assert not found_in("cats and dogs", "cat")
    assert found_in("a cat, and dogs", "cat")
    assert not found_in("blue giraffes", LISTED)
    assert not found_in("blue and giraffe", LISTED)


def test_the_folding() -> None:
    assert fold_words("\uff28\uff45\uff4c\uff4c\uff4f, Wörld!") == ["helo", "world"]
    assert fold_words("$ale h@t cat! 100%") == ["sale", "hat", "cat", "io"]
    assert fold_words("a cat") == ["a", "cat"]  # a single letter beside a word stays
    assert fold_words("s h o p  n o w") == ["shop", "now"]
    assert fold_words("Straße") == ["strase"]


def test_keywords_are_one_to_five_words() -> None:
    assert KEYWORD.normalise("  Paper   LANTERN ") == "paper lantern"
    for bad in ["", "...", "one two three four five six", "x" * 1001]:
        with pytest.raises(InvalidSignal):
            KEYWORD.normalise(bad)


def test_a_phrase_gives_every_run_of_up_to_five_words() -> None:
    forms = phrase_forms("one two three four five six")
    assert "one" in forms and "two thre four five six" in forms
    assert "one two thre four five six" not in forms
    assert len(forms) == 6 + 5 + 4 + 3 + 2


def test_a_keyword_lookup_needs_words_and_a_text_has_a_cap() -> None:
    with pytest.raises(InvalidSignal):
        KEYWORD.lookup_forms("?!")
    with pytest.raises(InvalidSignal, match="at most"):
        phrase_forms("word " * (MAX_TEXT_CHARS // 5 + 1))


_TEXT = st.text(alphabet=st.sampled_from([*"aAbBéß0134@$!|+ .-_*\n'", "\uff42", "\u0301"]))


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_folding_is_idempotent(text: str) -> None:
    words = fold_words(text)
    assert fold_words(" ".join(words)) == words
