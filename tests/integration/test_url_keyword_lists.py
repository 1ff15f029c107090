"""URL and keyword lists over real HTTP, against SQLite and PostgreSQL: CSV import of
``url`` and ``keyword`` rows, URL and text lookups, text posted with an upload, and a
conversation message holding a listed URL. One server per database (starting one is
slow), every check in sequence."""

from __future__ import annotations

import httpx

from tests.conftest import png_bytes, synthetic_photo
from tests.integration.server import Server

URLS_CSV = (
    "signal_type,signal_value,external_id,labels\n"
    "url,https://example.com/listed/,case-1,hotline\n"
    'url,"http://www.example.org/page?b=2&a=1&utm_source=feed",case-2,\n'
)
KEYWORDS_CSV = "keyword,Blue Giraffe,case-3\nkeyword,paper lantern,case-4\n"


def ok(response: httpx.Response) -> dict[str, object]:
    assert response.is_success, response.text
    body: dict[str, object] = response.json()
    return body


def kinds(body: dict[str, object]) -> set[str]:
    return {m["signal_type"] for m in body["matches"]}  # type: ignore[attr-defined,index]


def test_url_and_keyword_lists(server: Server) -> None:
    api = server.client
    # Lists are banks like any other, imported from CSV.
    ok(api.post("/v1/banks", json={"name": "urls"}))
    assert ok(api.post("/v1/banks/urls/import", content=URLS_CSV)) == {
        "added": 2,
        "already_present": 0,
    }
    ok(api.post("/v1/banks", json={"name": "words", "action": "review"}))
    ok(api.post("/v1/banks/words/import", content=KEYWORDS_CSV))
    exported = api.get("/v1/banks/urls/export").text
    assert "url,example.com/listed/,case-1,hotline" in exported
    assert "url,example.org/page?a=1&b=2,case-2," in exported
    bad = api.post("/v1/banks/urls/import", content="url,ftp://example.com/\n")
    assert bad.status_code == 422 and "line 1" in bad.json()["detail"]

    # A URL lookup: a listed folder covers what is under it; look-alikes do not match.
    lookup = {"signals": {"url": "HTTP://www.Example.com:80/listed/a/b.html?fbclid=x#top"}}
    found = ok(api.post("/v1/lookup", json=lookup))
    assert found["decision"] == "block" and kinds(found) == {"url"}
    look_alike = {"signals": {"url": "https://example.com.other.example/listed/"}}
    assert ok(api.post("/v1/lookup", json=look_alike))["decision"] == "allow"
    bad_url = api.post("/v1/lookup", json={"signals": {"url": "ftp://example.com/"}})
    assert bad_url.status_code == 422 and bad_url.json()["type"].endswith("invalid-signal")

    # A phrase (a search term) and a text: their URLs and keywords, never recorded.
    phrase = ok(api.post("/v1/lookup", json={"signals": {"keyword": "a BLU3  Giraaaffe?"}}))
    assert phrase["decision"] == "review"
    text = "Seen at www.example.org/page?a=1&b=2, near a p-a-p-e-r lantern."
    found = ok(api.post("/v1/lookup", json={"text": text}))
    assert found["decision"] == "block" and kinds(found) == {"url", "keyword"}
    record = ok(api.get(f"/v1/screenings/{found['screening_id']}"))
    assert "lantern" not in str(record) and "example.org" not in str(record)
    assert ok(api.post("/v1/lookup", json={"text": "blue paper, giraffe"}))["decision"] == "allow"

    # /v1/screen: a text field with a file, and a text alone.
    image = png_bytes(synthetic_photo(5, (64, 48)))
    with_text = api.post(
        "/v1/screen", files={"file": ("a.png", image)}, data={"text": "my blue giraffe"}
    )
    assert ok(with_text)["decision"] == "review" and kinds(with_text.json()) == {"keyword"}
    assert ok(api.post("/v1/screen", files={"file": ("a.png", image)}))["decision"] == "allow"
    alone = api.post("/v1/screen", files={"url": (None, "example.com/listed/x")})
    assert ok(alone)["decision"] == "block"
    assert api.post("/v1/screen", files={"content_id": (None, "c-1")}).status_code == 400

    # A conversation message holding a listed URL: matched, recorded, queued.
    message = {
        "sender_id": "a",
        "text": "see https://example.com/listed/",
        "sent_at": "2026-11-24T10:00:00Z",
    }
    scored = ok(api.post("/v1/conversations/chat-1/messages", json=message))
    assert kinds(scored) == {"url"} and len(scored["screening_ids"]) == 1  # type: ignore[arg-type]
    plain = ok(api.post("/v1/conversations/chat-1/messages", json=message | {"text": "hello"}))
    assert plain["matches"] == [] and plain["screening_ids"] == []
    items = ok(api.get("/v1/review-items"))["items"]
    screening_ids = {item["screening_id"] for item in items}  # type: ignore[attr-defined,index]
    assert scored["screening_ids"][0] in screening_ids  # type: ignore[index]
