"""Hostile input to the conversations API over real HTTP, on SQLite and PostgreSQL: values
the databases refuse answer 422 problem+json, the keep-alive connection stays usable, and
a database error leaves no message text in the server's log."""

from __future__ import annotations

import re
import secrets

import httpx
from sqlalchemy import create_engine, text

from tests.integration.server import Server

PROBLEM = "application/problem+json"
GOOD_TEXT = "shall we meet at the library at noon"


def message(**changes: object) -> dict[str, object]:
    return {"sender_id": "a", "text": GOOD_TEXT, "sent_at": "2026-11-24T10:00:00Z"} | changes


def connection_of(response: httpx.Response) -> object:
    """The local address of the connection that carried the response."""
    return response.extensions["network_stream"].get_extra_info("client_addr")


HOSTILE = {
    "nul-text": ("chat-1", message(text="shall we meet\x00 at the library")),
    "nul-path-id": ("chat%00one", message()),
    "nul-sender": ("chat-1", message(sender_id="a\x00b")),
    "nul-recipient": ("chat-1", message(recipient_ids=["b", "c\x00"])),
    "year-1": ("chat-1", message(sent_at="0001-01-01T00:00:00+05:00")),
    "year-10000": ("chat-1", message(sent_at="9999-12-31T23:00:00-05:00")),
}


def test_values_a_database_refuses_answer_422_on_a_live_connection(server: Server) -> None:
    client = server.client
    connections = {connection_of(client.get("/v1/health"))}
    for case, (path, body) in HOSTILE.items():
        refused = client.post(f"/v1/conversations/{path}/messages", json=body)
        assert_refused(refused, case)
        connections.add(connection_of(refused))
    read = client.get("/v1/conversations/chat%00one")
    assert_refused(read, "nul-path-id-read")
    good = client.post("/v1/conversations/chat-1/messages", json=message())
    assert good.status_code == 200, good.text
    assert good.json()["messages"] == 1  # no refused message was stored
    connections |= {connection_of(read), connection_of(good)}
    assert len(connections) == 1  # one keep-alive connection carried every request


def assert_refused(response: httpx.Response, case: str) -> None:
    assert response.status_code == 422, (case, response.text)
    assert response.headers["content-type"] == PROBLEM, case
    assert response.json()["type"].endswith("/validation-error"), case


def test_a_database_error_leaves_no_message_text_in_the_log(
    server: Server, database_url: str
) -> None:
    assert server.client.post("/v1/conversations/c/messages", json=message()).status_code == 200
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE conversation_messages"))
    engine.dispose()
    sender, words = f"sender-{secrets.token_hex(8)}", f"note {secrets.token_hex(8)}"
    failed = server.client.post(
        "/v1/conversations/c/messages", json=message(sender_id=sender, text=words)
    )
    assert failed.status_code in (500, 503), failed.text
    assert failed.headers["content-type"] == PROBLEM
    assert server.client.get("/v1/health").status_code in (200, 503)
    log = server.log.read_text(errors="replace")
    assert re.search(r"(internal error|database unavailable): \w+Error", log), log
    assert sender not in log and words not in log
