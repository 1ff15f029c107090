"""User reports and appeals over real HTTP, on SQLite and PostgreSQL: a report enters the
queue (also of content never screened), a moderator decides it in the UI, and the API
tells the outcome; an appeal goes to another moderator than the decision's, a granted
one reverses the decision, a denied one lets it stand; bad input changes nothing."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.server import Server, create_api_key
from tests.integration.test_ui_decisions import post, signed_in
from tests.integration.ui import MD5, make_user

PROBLEM_MEDIA_TYPE = "application/problem+json"
WORDS = "they sent this picture to my child"


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert response.json()["type"].endswith(f"/{slug}"), response.text


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def report(server: Server, target: dict[str, str], category: str = "csam") -> dict[str, Any]:
    body = {"reporter_id": "r-1", "category": category, "target": target, "text": WORDS}
    return created(server.client.post("/v1/reports", json=body))


def queue_state(server: Server) -> object:
    answer = server.client.get("/v1/review-items")
    assert answer.status_code == 200, answer.text
    return answer.json()


def headers_of(server: Server, name: str, client: str, *scopes: str) -> dict[str, str]:
    url = server.cli.env["SAFEGUARD_DATABASE_URL"]
    return {"Authorization": f"Bearer {create_api_key(url, name, client, scopes)}"}


def test_a_report_enters_the_queue_and_tells_its_outcome(server: Server) -> None:
    first = report(server, {"kind": "content", "value": "never-screened"})
    assert first["status"] == "received" and first["decision_id"] is None
    assert first["target"] == {"kind": "content", "value": "never-screened", "signal_type": None}
    again = report(server, {"kind": "content", "value": "never-screened"}, "other")
    assert again["review_item_id"] == first["review_item_id"]
    [item] = queue_state(server)["items"]  # type: ignore[index]
    assert (item["id"], item["kind"]) == (first["review_item_id"], "report")

    before = queue_state(server)
    ok = {"reporter_id": "r-1", "category": "grooming", "target": {"kind": "user", "value": "u"}}
    bad: list[tuple[Any, int, str]] = [
        (ok | {"target": {"kind": "screening", "value": "nope"}}, 404, "not-found"),
        (ok | {"text": "x" * 4001}, 422, "validation-error"),
        (ok | {"text": "a\x00b"}, 422, "validation-error"),
        (ok | {"category": "spam"}, 422, "validation-error"),
        (ok | {"reporter_id": 5}, 422, "validation-error"),
        (
            ok | {"target": {"kind": "hash", "signal_type": "md5", "value": "zz"}},
            422,
            "invalid-signal",
        ),
        (ok | {"target": {"kind": "hash", "value": MD5}}, 400, "bad-request"),
        ({}, 422, "validation-error"),
        (None, 422, "validation-error"),
    ]
    for body, status, slug in bad:
        assert_problem(server.client.post("/v1/reports", json=body), status, slug)
    assert queue_state(server) == before

    other = headers_of(server, "other", "platform-b", "screen")
    assert_problem(server.client.get(f"/v1/reports/{first['id']}", headers=other), 404, "not-found")
    lists_only = headers_of(server, "lists", "tests", "banks")
    body = ok | {"target": {"kind": "content", "value": "x"}}
    assert_problem(
        server.client.post("/v1/reports", json=body, headers=lists_only), 403, "forbidden"
    )

    make_user(server.cli, "mo", "moderator")
    page = f"/ui/items/{first['review_item_id']}"
    with signed_in(server, "mo") as mo:
        shown = mo.get(page).text
        assert "User reports" in shown and WORDS in shown and "never-screened" in shown
        assert '<label for="outcome-granted">' not in shown
        assert post(mo, f"{page}/decide", outcome="confirmed", reason="seen").status_code == 303
    outcome = server.client.get(f"/v1/reports/{first['id']}").json()
    assert outcome["status"] == "actioned" and isinstance(outcome["decision_id"], int)


def test_appeals_go_to_another_moderator(server: Server) -> None:
    made = server.client.post("/v1/banks", json={"name": "check-these", "action": "review"})
    assert made.status_code == 201, made.text
    entry = {"signal_type": "md5", "value": MD5}
    assert server.client.post("/v1/banks/check-these/entries", json=entry).status_code == 201
    lookup = {"signals": {"md5": MD5}, "content_id": "c-1", "uploader_id": "u-1"}
    assert server.client.post("/v1/lookup", json=lookup).json()["decision"] == "review"
    reported = report(server, {"kind": "content", "value": "c-1"})  # joins the upload's item
    about_user = report(server, {"kind": "user", "value": "u-7"}, "underage_user")
    for name in ("mo", "max"):
        make_user(server.cli, name, "moderator")
    with signed_in(server, "mo") as mo:
        for found in (reported, about_user):
            page = f"/ui/items/{found['review_item_id']}"
            assert post(mo, f"{page}/decide", outcome="confirmed", reason="seen").status_code == 303
    decision_id = server.client.get(f"/v1/reports/{reported['id']}").json()["decision_id"]

    before = queue_state(server)
    ok = {"decision_id": decision_id, "appellant_id": "u-1", "reason": "a holiday photo"}
    bad: list[tuple[Any, int, str]] = [
        (ok | {"appellant_id": "u-2"}, 403, "forbidden"),
        (ok | {"decision_id": 10**9}, 404, "not-found"),
        (ok | {"decision_id": "abc"}, 422, "validation-error"),
        (ok | {"reason": "x" * 4001}, 422, "validation-error"),
        ({}, 422, "validation-error"),
    ]
    for body, status, slug in bad:
        assert_problem(server.client.post("/v1/appeals", json=body), status, slug)
    assert queue_state(server) == before
    appeal = created(server.client.post("/v1/appeals", json=ok))
    assert appeal["status"] == "pending" and appeal["decided_at"] is None
    assert_problem(server.client.post("/v1/appeals", json=ok), 409, "conflict")

    page = f"/ui/items/{appeal['review_item_id']}"
    with signed_in(server, "mo") as mo, signed_in(server, "max") as max_:
        shown = mo.get(page).text
        assert "against your decision" in shown and "a holiday photo" in shown
        assert f'action="{page}/decide"' not in shown
        assert post(mo, f"{page}/claim").status_code == 403
        assert post(mo, f"{page}/decide", outcome="granted", reason="oops").status_code == 403
        shown = max_.get(page).text
        assert '<label for="outcome-granted">' in shown and '<label for="outcome-denied">' in shown
        assert '<label for="outcome-confirmed">' not in shown
        assert post(max_, f"{page}/decide", outcome="confirmed", reason="no").status_code == 400
        granted = post(max_, f"{page}/decide", outcome="granted", reason="a holiday photo")
        assert granted.status_code == 303
        original = max_.get(f"/ui/items/{reported['review_item_id']}").text
        assert "<td>reversed</td>" in original and "(reversed)" in original
    assert server.client.get(f"/v1/appeals/{appeal['id']}").json()["status"] == "granted"
    assert server.client.get(f"/v1/reports/{reported['id']}").json()["status"] == "no_violation"
    assert_problem(server.client.post("/v1/appeals", json=ok), 409, "conflict")

    other_decision = server.client.get(f"/v1/reports/{about_user['id']}").json()["decision_id"]
    body = {"decision_id": other_decision, "appellant_id": "u-7", "reason": "I am 19"}
    denied = created(server.client.post("/v1/appeals", json=body))
    with signed_in(server, "max") as max_:
        page = f"/ui/items/{denied['review_item_id']}"
        answer = post(max_, f"{page}/decide", outcome="denied", reason="a school photo")
        assert answer.status_code == 303
    assert server.client.get(f"/v1/appeals/{denied['id']}").json()["status"] == "denied"
    assert server.client.get(f"/v1/reports/{about_user['id']}").json()["status"] == "actioned"
