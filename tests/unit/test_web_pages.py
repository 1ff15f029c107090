"""The UI's pages rendered without a server: both kinds of item, and what platforms send
shown as text, never as markup."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request

from safeguard.moderation.people import Role, UserView
from safeguard.moderation.queue import ReviewItemView
from safeguard.moderation.ui_sessions import SessionView
from safeguard.web import present
from safeguard.web.pages import render

CREATED = datetime(2026, 11, 25, 10, 4, 5, tzinfo=UTC)
STAFF = SessionView(
    UserView("id-1", "mo", Role.MODERATOR, False, CREATED), "csrf-token-of-mo", CREATED, CREATED
)


def request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/ui/", "headers": []})


def item(kind: str, reason: dict[str, object], client: str = "acme") -> ReviewItemView:
    return ReviewItemView(
        id="item-1",
        kind=kind,
        client=client,
        conversation_id="chat-1" if kind == "conversation" else None,
        screening_id="screening-1" if kind == "screening" else None,
        reason=reason,
        status="open",
        created_at=CREATED,
    )


def page(found: ReviewItemView) -> str:
    return bytes(
        render(request(), "item.html", staff=STAFF, item=found, screening=None).body
    ).decode()


def test_a_conversation_item_shows_its_risk_and_cues() -> None:
    reason = {
        "risk": 0.912,
        "threshold": 0.65,
        "first_flag_index": 3,
        "cues": [{"name": "secrecy", "messages": [1, 3]}],
    }
    found = item("conversation", reason)
    html = page(found)
    for shown in ("0.91", "0.65", "<dd>4</dd>", "secrecy", "2, 4", "chat-1", "2026-11-25 10:04:05"):
        assert shown in html
    assert present.cue_description("secrecy") in html
    assert present.summary(found) == "risk 0.91; cues: secrecy"


def test_an_account_item_shows_the_band_and_its_evidence() -> None:
    reason = {"user_id": "u<9>", "band": "under-13", "assured": True, "minimum_age": 13}
    found = item("account", reason)
    html = page(found)
    for shown in ("u&lt;9&gt;", "under-13", "a highly effective age check", "<dd>13</dd>"):
        assert shown in html
    assert present.summary(found) == "user u<9>: assured under-13, under the minimum age of 13"


def test_a_screening_item_without_its_record_shows_the_reason() -> None:
    match = {"bank": "known", "signal_type": "pdq", "distance": 7, "view": "mirrored"}
    found = item("screening", {"matches": [match, match | {"signal_type": "md5"}]})
    html = page(found)
    for shown in ("known", "pdq", "<td>7</td>", "mirrored", "no longer available"):
        assert shown in html
    assert present.summary(found) == "2 matches (md5, pdq) in known"


def test_what_platforms_send_is_escaped() -> None:
    hostile = "<script>alert(1)</script>"
    found = item("conversation", {"risk": "high", "cues": [{"name": hostile}]}, client=hostile)
    html = page(found)
    assert hostile not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "unknown" in html  # a risk that is not a number
    queue = render(request(), "queue.html", staff=STAFF, items=[found], page=1, has_next=False)
    assert hostile not in bytes(queue.body).decode()
