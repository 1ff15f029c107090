"""URL normalisation and lookup forms: a held list of variants of a listed URL all match
it, look-alikes do not, and a listed URL ending in ``/`` covers what is under it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguard.errors import InvalidSignal
from safeguard.signals.url import MAX_URL_LENGTH, URL, normalise_url

LISTED_PAGE = "https://example.com/listed/page.html"
LISTED_DIR = "https://example.com/listed/"

PAGE_VARIANTS = {
    "the same": "https://example.com/listed/page.html",
    "http for https": "http://example.com/listed/page.html",
    "no scheme": "example.com/listed/page.html",
    "scheme-relative": "//example.com/listed/page.html",
    "scheme and host case": "HTTPS://EXAMPLE.COM/listed/page.html",
    "www.": "https://www.example.com/listed/page.html",
    "default port 443": "https://example.com:443/listed/page.html",
    "default port 80": "http://example.com:80/listed/page.html",
    "user info": "https://someone:secret@example.com/listed/page.html",
    "fragment": "https://example.com/listed/page.html#part-2",
    "unreserved escapes": "https://example.com/%6Cisted/page%2Ehtml",
    "dot segments": "https://example.com/other/../listed/./page.html",
    "repeated slashes": "https://example.com//listed///page.html",
    "trailing slash": "https://example.com/listed/page.html/",
    "tracking parameters": "https://example.com/listed/page.html?utm_source=feed&fbclid=x1&gclid=y",
    "trailing dot of the host": "https://example.com./listed/page.html",
}

LOOK_ALIKES = {
    "another host": "https://example.org/listed/page.html",
    "a longer host name": "https://example.com.evil.example/listed/page.html",
    "a host ending in the name": "https://notexample.com/listed/page.html",
    "a subdomain": "https://cdn.example.com/listed/page.html",
    "another port": "https://example.com:8443/listed/page.html",
    "another page": "https://example.com/listed/page.htm",
    "path case": "https://example.com/Listed/page.html",
    "a sibling folder": "https://example.com/listed-more/page.html",
    "a parameter that is not tracking": "https://example.com/listed/page.html?id=2",
}


def matches(listed: str, queried: str) -> bool:
    """Whether a bank holding ``listed`` matches a lookup of ``queried``."""
    return normalise_url(listed) in {f.value for f in URL.lookup_forms(queried)}


@pytest.mark.parametrize("variant", PAGE_VARIANTS.values(), ids=list(PAGE_VARIANTS))
def test_every_variant_of_a_listed_url_matches_it(variant: str) -> None:
    assert matches(LISTED_PAGE, variant)


@pytest.mark.parametrize("look_alike", LOOK_ALIKES.values(), ids=list(LOOK_ALIKES))
def test_look_alikes_do_not_match(look_alike: str) -> None:
    assert not matches(LISTED_PAGE, look_alike)
    assert not matches("https://example.com/listed/page.html?id=1", look_alike)


def test_the_canonical_form() -> None:
    assert normalise_url("HTTP://WWW.Example.COM:80/a/./b/../c//d/?b=2&utm_medium=x&a=1#f") == (
        "example.com/a/c/d/?a=1&b=2"
    )
    assert normalise_url("example.com") == "example.com/"
    assert normalise_url("http://example.com:8080") == "example.com:8080/"
    assert normalise_url("http://[2001:DB8::0:1]:443/x") == "[2001:db8::1]/x"
    assert normalise_url("http://203.0.113.7/x") == "203.0.113.7/x"


def test_international_host_names_become_ascii() -> None:
    assert normalise_url("https://Bücher.example/") == "xn--bcher-kva.example/"
    assert matches("https://xn--bcher-kva.example/listed/", "http://bücher.example/listed/a")


def test_percent_encoding_is_normalised() -> None:
    assert normalise_url("example.com/%7euser/%2f%c3%a9") == "example.com/~user/%2F%C3%A9"
    assert normalise_url("example.com/é") == "example.com/%C3%A9"
    assert normalise_url("example.com/100%") == "example.com/100%25"
    assert normalise_url("example.com/?q=a%20b&r=c%2Bd") == "example.com/?q=a%20b&r=c%2Bd"


def test_tracking_parameters_go_and_the_rest_are_sorted() -> None:
    queried = "example.com/p?z=1&UTM_Campaign=x&mc_eid=3&a=2&&_ga=1&utm_content=y"
    assert normalise_url(queried) == "example.com/p?a=2&z=1"
    assert normalise_url("example.com/p?utm_source=x") == "example.com/p"


def test_a_listed_folder_covers_everything_under_it() -> None:
    for under in [
        "https://example.com/listed/",
        "https://example.com/listed",
        "http://www.example.com/listed/a/b/c.jpg?size=2",
        "example.com/listed/deeper/",
    ]:
        assert matches(LISTED_DIR, under), under
    for outside in [
        "https://example.com/",
        "https://example.com/listedx/a",
        "example.com/a/listed/",
    ]:
        assert not matches(LISTED_DIR, outside), outside


def test_a_listed_host_covers_the_host_but_not_its_subdomains() -> None:
    assert matches("example.com", "https://www.example.com/any/page?x=1")
    assert not matches("example.com", "https://cdn.example.com/any/page")
    assert not matches("example.com", "https://example.com.evil.example/")


def test_a_page_without_a_trailing_slash_covers_nothing_under_it() -> None:
    assert not matches("example.com/listed", "example.com/listed/other")


def test_forms_are_the_url_its_slash_twin_and_its_prefixes() -> None:
    forms = [f.value for f in URL.lookup_forms("https://example.com/a/b?x=1")]
    assert forms == [
        "example.com/a/b?x=1",
        "example.com/a/b/?x=1",
        "example.com/",
        "example.com/a/",
        "example.com/a/b/",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "ftp://example.com/",
        "javascript:void(0)",
        "mailto:someone@example.com",
        "http://",
        "http://exa mple.com/",
        "http://a..b/",
        "http://-example.com/",
        "http://example.com:99999/",
        "http://[not-an-address]/",
        "http://exa\x00mple.com/",
        "http://" + "a" * 64 + ".com/",
        "example.com/" + "a" * MAX_URL_LENGTH,
    ],
)
def test_invalid_urls_are_refused(bad: str) -> None:
    with pytest.raises(InvalidSignal):
        normalise_url(bad)


_URL_TEXT = st.lists(
    st.sampled_from([*"aAbZ09.-_~%/?&=#:@!$'()*+,;[]é ", "%2e", "%2F", "%7e", "www.", ".."]),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(
    host=st.sampled_from(["example.com", "WWW.Example.org", "bücher.example", "[::1]"]),
    rest=_URL_TEXT,
)
def test_normalising_is_idempotent(host: str, rest: str) -> None:
    try:
        normal = normalise_url(f"https://{host}/{rest}")
    except InvalidSignal:
        return
    assert normalise_url(normal) == normal
    assert normal in {f.value for f in URL.lookup_forms(normal)}
