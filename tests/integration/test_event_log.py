"""Changes made over the API are logged as events naming the client that made them."""

from __future__ import annotations

from safeguard import events
from safeguard.store.db import Database
from tests.integration.server import Server

MD5 = "0123456789abcdef0123456789abcdef"


def test_api_changes_and_decisions_name_their_client(server: Server) -> None:
    assert server.client.post("/v1/banks", json={"name": "known"}).status_code == 201
    entry = {"signal_type": "md5", "value": MD5}
    assert server.client.post("/v1/banks/known/entries", json=entry).status_code == 201
    imported = server.client.post("/v1/banks/known/import", content=f"md5,{'f' * 32}\n")
    assert imported.status_code == 200
    screened = server.client.post("/v1/lookup", json={"signals": {"md5": MD5}}).json()
    assert server.client.delete("/v1/banks/known").status_code == 204
    db = Database(server.cli.env["SAFEGUARD_DATABASE_URL"])
    try:
        with db.read_session() as session:
            logged = [(e.kind, e.client, e.subject) for e in events.read_events(session)]
    finally:
        db.dispose()
    assert logged == [
        ("api_key.created", "tests", "tests"),  # the key the test server was given
        ("bank.created", "tests", "known"),
        ("bank.entries_added", "tests", "known"),
        ("bank.entries_added", "tests", "known"),
        ("screening.decided", "tests", screened["screening_id"]),
        ("bank.deleted", "tests", "known"),
    ]
