"""Clients own their records, not keys: over real HTTP, on SQLite and PostgreSQL, a new
key of the same client reads everything the revoked one made, and another client sees
none of it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.integration.server import Cli, Server, create_api_key, environment

MD5 = "5dc1441dd7a12fa79f2a43b1ebc93eab"
MESSAGE = {"sender_id": "a", "text": "hello, how was school?", "sent_at": "2026-11-24T10:00:00Z"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def review_bank(server: Server) -> None:
    """A bank whose match sends a screening of ``MD5`` to the review queue."""
    bank = server.client.post("/v1/banks", json={"name": "check-these", "action": "review"})
    assert bank.status_code == 201, bank.text
    entry = {"signal_type": "md5", "value": MD5}
    added = server.client.post("/v1/banks/check-these/entries", json=entry)
    assert added.status_code == 201, added.text


def screen_and_chat(server: Server, key: str) -> str:
    """Look ``MD5`` up and send one message of conversation ``chat-1`` with ``key``;
    the screening's id."""
    screened = server.client.post("/v1/lookup", json={"signals": {"md5": MD5}}, headers=bearer(key))
    assert screened.status_code == 200, screened.text
    sent = server.client.post(
        "/v1/conversations/chat-1/messages", json=MESSAGE, headers=bearer(key)
    )
    assert sent.status_code == 200, sent.text
    return str(screened.json()["screening_id"])


def review_screenings(server: Server, key: str) -> list[str]:
    response = server.client.get("/v1/review-items", headers=bearer(key))
    assert response.status_code == 200, response.text
    return [item["screening_id"] for item in response.json()["items"]]


def assert_not_found(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_rotating_a_key_loses_nothing(server: Server) -> None:
    database_url = server.cli.env["SAFEGUARD_DATABASE_URL"]
    review_bank(server)
    first = create_api_key(database_url, "acme-1", client="acme")
    screening_id = screen_and_chat(server, first)

    created = server.cli.ok("apikey", "create", "acme-2", "--client", "acme").strip()
    assert "for client acme" in created
    second = created.splitlines()[-1]
    assert "revoked API key acme-1" in server.cli.ok("apikey", "revoke", "acme-1")

    record = server.client.get(f"/v1/screenings/{screening_id}", headers=bearer(second))
    assert record.status_code == 200, record.text
    assert (record.json()["client"], record.json()["decision"]) == ("acme", "review")
    conversation = server.client.get("/v1/conversations/chat-1", headers=bearer(second))
    assert conversation.status_code == 200 and conversation.json()["messages"] == 1
    more = server.client.post(
        "/v1/conversations/chat-1/messages", json=MESSAGE, headers=bearer(second)
    )
    assert more.json()["message_index"] == 1  # the same conversation, continued
    assert review_screenings(server, second) == [screening_id]

    for path in (f"/v1/screenings/{screening_id}", "/v1/conversations/chat-1"):
        assert server.client.get(path, headers=bearer(first)).status_code == 401
    listed = [json.loads(line) for line in server.cli.ok("apikey", "list").splitlines()]
    assert [(k["client"], k["name"], k["revoked"]) for k in listed] == [
        ("acme", "acme-1", True),
        ("acme", "acme-2", False),
        ("tests", "tests", False),  # the key the test server was given
    ]


def test_another_client_sees_none_of_a_clients_records(server: Server) -> None:
    database_url = server.cli.env["SAFEGUARD_DATABASE_URL"]
    review_bank(server)
    acme = create_api_key(database_url, "acme-1", client="acme")
    screening_id = screen_and_chat(server, acme)
    other = create_api_key(database_url, "other")

    assert_not_found(server.client.get(f"/v1/screenings/{screening_id}", headers=bearer(other)))
    assert_not_found(server.client.get("/v1/conversations/chat-1", headers=bearer(other)))
    assert review_screenings(server, other) == []
    assert review_screenings(server, acme) == [screening_id]
    # The same conversation id is the other client's own conversation, started afresh.
    sent = server.client.post(
        "/v1/conversations/chat-1/messages", json=MESSAGE, headers=bearer(other)
    )
    assert sent.json()["message_index"] == 0
    acme_chat = server.client.get("/v1/conversations/chat-1", headers=bearer(acme)).json()
    assert acme_chat["messages"] == 1


def test_a_bad_client_name_exits_2_with_one_line(database_url: str, tmp_path: Path) -> None:
    cli = Cli(environment(tmp_path / "data", database_url))
    result = cli.run("apikey", "create", "acme-1", "--client", "bad name")
    assert result.returncode == 2, (result.stdout, result.stderr)
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("safeguard: ") and "invalid client name" in line
    assert cli.ok("apikey", "list") == ""
