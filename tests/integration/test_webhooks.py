"""Webhooks over real HTTP, on SQLite and PostgreSQL: an endpoint that is down (503)
while events happen, and while the service is stopped and started again on the same
database, gets every event once it is back, each acknowledged exactly once, signed so
that the documented verification code accepts it and refuses it tampered. Registering
takes the ``admin`` scope; bad input answers problem+json; the CLI shows the same."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.integration.server import Server, create_api_key, environment, start_server
from tests.webhook_receiver import Receiver, documented_verify, receiver

PROBLEM_MEDIA_TYPE = "application/problem+json"


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert response.json()["type"].endswith(f"/{slug}"), response.text


def create_bank(server: Server, name: str) -> None:
    answer = server.client.post("/v1/banks", json={"name": name})
    assert answer.status_code == 201, answer.text


def acknowledged_ids(hook: Receiver) -> list[int]:
    return [int(r.headers["safeguard-event-id"]) for r in hook.acknowledged()]


def test_a_receiver_down_across_a_restart_gets_every_event_once(
    database_url: str, tmp_path: Path
) -> None:
    env = environment(
        tmp_path / "data",
        database_url,
        SAFEGUARD_WEBHOOK_INTERVAL_SECONDS="1",
        SAFEGUARD_WEBHOOK_BACKOFF_SECONDS="1",
    )
    key = create_api_key(database_url, "admin-key")
    verify = documented_verify()
    with receiver(status=503) as hook:
        server = start_server(env, "admin-key", key)
        try:
            screen_only = create_api_key(database_url, "screener", scopes=["screen"])
            refused = server.client.get(
                "/v1/webhooks", headers={"Authorization": f"Bearer {screen_only}"}
            )
            assert_problem(refused, 403, "forbidden")
            bad = server.client.post("/v1/webhooks", json={"url": "ftp://x", "events": ["*"]})
            assert_problem(bad, 400, "bad-request")
            unknown = server.client.post(
                "/v1/webhooks", json={"url": hook.url, "events": ["no.such"]}
            )
            assert_problem(unknown, 400, "bad-request")
            assert_problem(server.client.get("/v1/webhooks/nope/deliveries"), 404, "not-found")

            made = server.client.post(
                "/v1/webhooks", json={"url": hook.url, "events": ["bank.created"]}
            )
            assert made.status_code == 201, made.text
            endpoint: dict[str, Any] = made.json()
            secret = endpoint["secret"]
            listed = server.client.get("/v1/webhooks").json()["items"]
            assert [e["id"] for e in listed] == [endpoint["id"]]
            assert "secret" not in listed[0] and secret not in json.dumps(listed)

            create_bank(server, "first")
            create_bank(server, "second")
            wait_for(lambda: hook.attempts() >= 4, "two failed attempts per event")
        finally:
            server.stop()
        assert hook.acknowledged() == []
        # While the service is stopped, the CLI logs one more event in the same database.
        server.cli.ok("bank", "create", "third")
        hook.status = 200
        server = start_server(env, "admin-key", key)
        try:
            wait_for(lambda: len(hook.acknowledged()) >= 3, "all three events")
            deliveries = server.client.get(f"/v1/webhooks/{endpoint['id']}/deliveries")
            assert deliveries.status_code == 200, deliveries.text
            history = deliveries.json()["items"]
            time.sleep(2.5)  # two more passes of the worker: nothing is sent again
            ids = acknowledged_ids(hook)
        finally:
            server.stop()
    assert len(ids) == len(set(ids)) == 3
    bodies = [json.loads(r.body) for r in hook.acknowledged()]
    assert sorted(b["subject"] for b in bodies) == ["first", "second", "third"]
    assert {b["kind"] for b in bodies} == {"bank.created"}
    assert sorted(ids) == sorted(b["id"] for b in bodies)
    assert [d["state"] for d in history] == ["delivered"] * 3
    assert [d["event_id"] for d in history] == sorted(ids, reverse=True)
    assert all(d["attempts"] >= 2 for d in history[1:])  # the two sent while down
    for r in hook.received:
        header = r.headers["safeguard-signature"]
        assert verify(secret, r.body, header)
        tampered = r.body.replace(b'"bank.created"', b'"bank.deleted"')
        assert tampered != r.body and not verify(secret, tampered, header)
        assert not verify(secret, r.body + b" ", header)
        assert not verify(secret, r.body, header.replace("v1=", "v1=0"))

    # The CLI reads the same history, disables the endpoint, and adds another.
    listed_cli = server.cli.ok("webhook", "deliveries", endpoint["id"]).splitlines()
    assert [json.loads(line)["state"] for line in listed_cli] == ["delivered"] * 3
    disabled = server.cli.ok("webhook", "disable", endpoint["id"])
    assert json.loads(disabled)["disabled_at"] is not None
    again = server.cli.run("webhook", "disable", endpoint["id"])
    assert again.returncode == 2 and again.stderr.count("\n") == 1, again.stderr
    added = server.cli.ok("webhook", "add", hook.url, "--events", "appeal.decided")
    assert json.loads(added)["secret"] and json.loads(added)["events"] == ["appeal.decided"]
