"""The lookup values of a text (a post, a message, a search term): the forms of each URL
it holds and every run of one to five of its folded words, to match URL and keyword
lists. The text is only read here; nothing of it is kept."""

from __future__ import annotations

import re

from safeguard.errors import InvalidSignal
from safeguard.signals.base import SignalValue
from safeguard.signals.keyword import KEYWORD, MAX_TEXT_CHARS, phrase_forms
from safeguard.signals.url import URL

_URL_IN_TEXT = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>\"'`{}|\\^]+", re.IGNORECASE)
_TRAILING = ".,;:!?*"
_CLOSING = {")": "(", "]": "["}


def find_urls(text: str) -> list[str]:
    """The http(s) URLs and bare ``www.`` addresses of ``text``, without the punctuation
    that ends a sentence or closes a bracket around them, in order."""
    return [_trimmed(match.group()) for match in _URL_IN_TEXT.finditer(text)]


def text_values(text: str, url: str | None = None) -> dict[str, tuple[SignalValue, ...]]:
    """The URL values (every lookup form of each valid URL in ``text``, and of ``url``,
    which must be valid) and keyword values (every phrase of one to five words) of
    ``text``; InvalidSignal for a text longer than ``MAX_TEXT_CHARS``."""
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidSignal(f"a text to screen must be at most {MAX_TEXT_CHARS} characters")
    urls: dict[str, SignalValue] = {}
    if url is not None:
        urls.update((form.value, form) for form in URL.lookup_forms(url))
    for found in find_urls(text):
        try:
            forms = URL.lookup_forms(found)
        except InvalidSignal:
            continue  # not a URL after all (a bad host, a bad port): nothing to match
        urls.update((form.value, form) for form in forms)
    values = {KEYWORD.name: tuple(SignalValue(form) for form in phrase_forms(text))}
    if urls:
        values[URL.name] = tuple(urls.values())
    return values


def _trimmed(url: str) -> str:
    """``url`` without trailing sentence punctuation, nor a closing bracket it did not
    open (``(see https://example.com/a)``)."""
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _CLOSING and url.count(_CLOSING[last]) < url.count(last)):
            url = url[:-1]
        else:
            break
    return url
