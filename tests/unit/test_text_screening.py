"""Screening text against URL and keyword lists, on SQLite and PostgreSQL: URLs found in
text, lookups of URLs, phrases and texts, thousands of exact values in one lookup, and
nothing of the text in the audit record."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from safeguard.banks import catalog
from safeguard.banks.models import BankAction, BankSpec, NewEntry
from safeguard.errors import InvalidSignal
from safeguard.screening.matcher import Matcher
from safeguard.screening.policy import Decision
from safeguard.screening.records import get_screening
from safeguard.screening.service import Requester, Screener
from safeguard.screening.signals import ContentSignals
from safeguard.screening.text import find_urls, text_values
from safeguard.signals.base import SignalValue
from safeguard.store.db import Database
from safeguard.store.models import AuditEvent, ReviewItem, Screening, ScreeningSignal

WHO = Requester("platform-a", "lookup")
MD5 = "9e107d9d372bb6826bd81d3542a419d6"


@pytest.fixture
def screener(database_url: str) -> Iterator[Screener]:
    db = Database(database_url)
    catalog.create_bank(db, BankSpec("listed", BankAction.BLOCK), "platform-a")
    catalog.create_bank(db, BankSpec("words", BankAction.REVIEW), "platform-a")
    entries = [NewEntry("url", "https://example.com/listed/"), NewEntry("md5", MD5)]
    catalog.add_entries(db, "listed", entries, "platform-a")
    catalog.add_entry(db, "words", NewEntry("keyword", "Blue Giraffe"), "platform-a")
    yield Screener(db, 50)
    db.dispose()


def test_urls_are_found_in_text() -> None:
    text = (
        "See (https://Example.com/listed/a), www.example.org. or <http://example.net/x?y=1>; "
        "and http://example.com/wiki/Thing_(part) ok? not example.com alone."
    )
    assert find_urls(text) == [
        "https://Example.com/listed/a",
        "www.example.org",
        "http://example.net/x?y=1",
        "http://example.com/wiki/Thing_(part)",
    ]


def test_a_text_gives_url_forms_and_phrases() -> None:
    values = text_values("go to https://example.com/listed/page now", url="example.org")
    urls = [v.value for v in values["url"]]
    assert urls[0] == "example.org/"
    assert "example.com/listed/" in urls and "example.com/listed/page" in urls
    assert "go to" in [v.value for v in values["keyword"]]
    assert "url" not in text_values("no address here")
    assert "url" not in text_values("http://bad..host/ is not a URL")


def test_screening_text_against_url_and_keyword_lists(screener: Screener) -> None:
    """One database per run (each takes seconds to set up): every check in sequence."""
    # A listed folder covers a URL under it; a look-alike host does not match.
    found = screener.lookup({"url": "http://www.example.com/listed/deeper/page?utm_source=x"}, WHO)
    assert found.decision is Decision.BLOCK
    assert [(m.bank, m.signal_type) for m in found.matches] == [("listed", "url")]
    assert screener.lookup({"url": "https://example.com.other.example/listed/"}, WHO).matches == []
    with pytest.raises(InvalidSignal):
        screener.lookup({"url": "ftp://example.com/listed/"}, WHO)

    # A phrase (a search term) holding a keyword, obfuscated; a longer word does not match.
    assert screener.lookup({"keyword": "where is the BLU3 G1RAFFE"}, WHO).decision.value == "review"
    assert screener.lookup({"keyword": "blue giraffes"}, WHO).decision is Decision.ALLOW

    # Text sent with content is screened with it.
    signals = ContentSignals({"md5": (SignalValue("0" * 32),)})
    assert screener.screen(signals, WHO).decision is Decision.ALLOW
    with_text = screener.screen(signals, WHO, text="a Blue Giraffe")
    assert with_text.decision is Decision.REVIEW and with_text.signals == {"md5": "0" * 32}
    assert screener.screen(signals, WHO, url="example.com/listed").decision is Decision.BLOCK

    # A message is recorded only when it matches.
    message = Requester("platform-a", "message", "conversation-1", "user-1")
    assert screener.screen_text("a plain message", message) is None
    flagged = screener.screen_text("look at www.example.com/listed/", message)
    assert flagged is not None and flagged.decision is Decision.BLOCK

    # Thousands of values in one lookup (asked in chunks).
    values = [f"{i:032x}" for i in range(3000)] + [MD5]
    with screener.db.read_session() as session:
        exact = Matcher.exact_candidates(session, {"md5": values, "keyword": ["blue girafe"]})
    assert sorted(c.signal_type for c in exact) == ["keyword", "md5"]
    words = " ".join(f"word{i}" for i in range(2000))
    assert screener.lookup({}, WHO, text=words + " blue giraffe").decision is Decision.REVIEW
    with pytest.raises(InvalidSignal, match="at most 20000"):
        screener.lookup({}, WHO, text="x" * 20_001)
    with pytest.raises(InvalidSignal):
        screener.lookup({}, WHO)

    # A text's URLs and keywords are matched; nothing of the text is recorded.
    before = _recorded(screener)
    text = "a b l u e giraffe at https://example.com/listed/page.html"
    found = screener.lookup({}, WHO, text=text)
    assert found.decision is Decision.BLOCK
    assert {m.signal_type for m in found.matches} == {"url", "keyword"}
    assert "url" not in found.signals and "keyword" not in found.signals
    assert get_screening(screener.db, "platform-a", found.screening_id).signals == {}
    written = json.dumps(_recorded(screener)[len(before) :])
    assert "giraffe" not in written and "example.com" not in written
    assert "giraffe" not in json.dumps(before) and "example" not in json.dumps(before)


def _recorded(screener: Screener) -> list[object]:
    """Everything screenings wrote: signal values, matches, review reasons and events."""
    with screener.db.read_session() as session:
        return [
            *session.scalars(select(ScreeningSignal.value)),
            *session.scalars(select(Screening.matches)),
            *session.scalars(select(ReviewItem.reason)),
            *session.scalars(
                select(AuditEvent.details).where(AuditEvent.action.like("screening%"))
            ),
        ]
