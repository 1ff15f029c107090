"""Claims and decisions in the moderator UI of a real server, on SQLite and PostgreSQL:
one claimer at a time, roles and CSRF on every form, false positives into a safelist,
escalation and an admin's reversal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from safeguard.web.security import FORGED
from tests.integration.server import Server
from tests.integration.ui import MD5, browser, hidden_token, log_in, make_user, queue_a_review_item

REASON = "a holiday photo, not the listed item"


@contextmanager
def signed_in(server: Server, name: str) -> Iterator[httpx.Client]:
    """A browser-like client with ``name`` logged in."""
    with browser(server) as ui:
        assert log_in(ui, name).status_code == 303
        yield ui


def post(ui: httpx.Client, path: str, **fields: str) -> httpx.Response:
    """Post a form of the UI with the session's CSRF token (read from a page)."""
    token = hidden_token(ui.get("/ui/"))
    return ui.post(path, data={"csrf_token": token, **fields})


def lookup(server: Server) -> str:
    answer = server.client.post("/v1/lookup", json={"signals": {"md5": MD5}})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["decision"])


def test_claim_confirm_and_who_may_post(server: Server) -> None:
    item_id = queue_a_review_item(server)
    for name, role in (("mo", "moderator"), ("max", "moderator"), ("val", "viewer")):
        make_user(server.cli, name, role)
    item = f"/ui/items/{item_id}"
    with signed_in(server, "mo") as mo, signed_in(server, "max") as max_:
        page = mo.get(item)
        for control in (
            '<label for="outcome-confirmed">',
            '<label for="outcome-false_positive">',
            '<label for="outcome-escalated">',
            '<label for="reason">',
            '<label for="safelist_bank">',
            '<button type="submit">Claim</button>',
        ):
            assert control in page.text
        claimed = post(mo, f"{item}/claim")
        assert claimed.status_code == 303 and claimed.headers["location"] == item
        assert "<td>mo</td>" in mo.get("/ui/").text  # the queue shows who claimed it

        refused = post(max_, f"{item}/claim")
        assert refused.status_code == 409 and "claimed by mo" in refused.text
        taken = post(max_, f"{item}/decide", outcome="confirmed", reason=REASON)
        assert taken.status_code == 409

        with signed_in(server, "val") as val:
            viewed = val.get(item)
            assert viewed.status_code == 200 and "<form" not in viewed.text.split("</header>")[1]
            for path in (f"{item}/claim", f"{item}/decide", f"{item}/release"):
                answer = post(val, path, outcome="confirmed", reason=REASON)
                assert answer.status_code == 403
        forged = mo.post(
            f"{item}/decide",
            data={"csrf_token": "forged", "outcome": "confirmed", "reason": REASON},
        )
        assert forged.status_code == 403 and FORGED in forged.text
        assert "Claimed by <strong>mo</strong>" in mo.get(item).text  # nothing changed
        assert "No decision yet." in mo.get(item).text

        decided = post(mo, f"{item}/decide", outcome="confirmed", reason=REASON)
        assert decided.status_code == 303 and decided.headers["location"] == "/ui/"
        assert item not in mo.get("/ui/").text
        assert item in mo.get("/ui/?status=decided").text
        page = max_.get(item)
        assert "<td>confirmed</td>" in page.text and REASON in page.text
        assert "<td>mo</td>" in page.text
        assert 'action="/ui/items' not in page.text  # decided: no forms left
        assert post(max_, f"{item}/claim").status_code == 409


def test_false_positive_into_a_safelist_escalation_and_reversal(server: Server) -> None:
    item_id = queue_a_review_item(server)
    made = server.client.post("/v1/banks", json={"name": "fp-safe", "kind": "safelist"})
    assert made.status_code == 201, made.text
    make_user(server.cli, "mo", "moderator")
    make_user(server.cli, "ada", "admin")
    item = f"/ui/items/{item_id}"
    with signed_in(server, "mo") as mo, signed_in(server, "ada") as ada:
        assert '<option value="fp-safe">fp-safe</option>' in mo.get(item).text
        assert mo.get("/ui/?status=escalated").status_code == 403
        escalated = post(mo, f"{item}/decide", outcome="escalated", reason="not sure")
        assert escalated.status_code == 303
        assert item not in mo.get("/ui/").text
        assert item in ada.get("/ui/?status=escalated").text
        assert post(mo, f"{item}/claim").status_code == 403  # admins work escalated items

        decided = post(
            ada,
            f"{item}/decide",
            outcome="false_positive",
            reason=REASON,
            safelist_bank="fp-safe",
        )
        assert decided.status_code == 303
        assert lookup(server) == "allow"

        page = ada.get(item)
        assert '<label for="reverse-reason">' in page.text
        action = page.text.split('action="/ui/decisions/')[1].split('"')[0]
        assert post(mo, f"/ui/decisions/{action}", reason="no").status_code == 403
        reversed_ = post(ada, f"/ui/decisions/{action}", reason="it is the listed item")
        assert reversed_.status_code == 303 and reversed_.headers["location"] == item
        assert item in mo.get("/ui/").text  # open again
        assert lookup(server) == "review"  # the safelist entry no longer matches
        assert "false_positive (reversed)" in mo.get(item).text
