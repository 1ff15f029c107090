"""Accounts over real HTTP and the CLI, on SQLite and PostgreSQL: a platform registers
its users, records age checks (also as a provider's signed callbacks), connects users,
changes a child's defaults and asks policy questions; bad input changes nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from safeguard.webhooks.signing import SIGNATURE_HEADER, sign
from tests.integration.server import Server
from tests.integration.test_reports_appeals_api import assert_problem, created, headers_of

CLIENT = "tests"  # the client of the server's key


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def may(server: Server, question: str, actor: str, subject: str) -> dict[str, Any]:
    params = {"actor": actor, "subject": subject, "locale": "en-US"}
    return ok(server.client.get(f"/v1/policy/{question}", params=params))


def test_accounts_policy_and_signed_callbacks(server: Server) -> None:
    api = server.client
    # A teenager who declared an adult age, then was estimated 13-15.
    declared = ok(api.put("/v1/accounts/teen", json={"declared_age": 19, "parent_user_id": "mum"}))
    assert (declared["band"], declared["assured"], declared["treated_as_child"]) == (
        "unknown",
        False,
        True,
    )
    outcome = {
        "provider": "estimator",
        "method": "facial_age_estimation",
        "age_band": "13-15",
        "confidence": 0.93,
        "assured_at": "2026-11-20T10:00:00Z",
    }
    teen = created(api.post("/v1/accounts/teen/age-assurance", json=outcome))
    assert (teen["band"], teen["assured"]) == ("13-15", True)
    assert [e["counted"] for e in teen["evidence"]] == [True, False]

    assert not may(server, "message", "stranger", "teen")["allowed"]
    assert api.put("/v1/accounts/teen/connections/friend").status_code == 204
    assert may(server, "message", "friend", "teen")["allowed"]
    assert api.delete("/v1/accounts/teen/connections/friend").status_code == 204
    assert not may(server, "message", "friend", "teen")["allowed"]

    locked = {"enabled": True, "changed_by": "teen"}
    before = ok(api.get("/v1/accounts/teen"))
    url = "/v1/accounts/teen/settings/messages_from_non_connections"
    assert_problem(api.put(url, json=locked), 403, "forbidden")
    assert_problem(
        api.put(
            "/v1/accounts/teen/settings/public_profile", json=locked | {"changed_by": "someone"}
        ),
        403,
        "forbidden",
    )
    assert ok(api.get("/v1/accounts/teen")) == before
    changed = ok(api.put("/v1/accounts/teen/settings/location_sharing", json=locked))
    assert changed["prompt"]["topic"] == "location_sharing" and changed["prompt"]["help"]
    api.put("/v1/accounts/teen/connections/friend")
    shown = may(server, "location", "friend", "teen")
    assert shown["allowed"] and shown["prompt"]["locale"] == "en-US"
    assert not may(server, "location", "stranger", "teen")["allowed"]

    # A provider posts its outcomes, signed with the secret given once.
    admin = headers_of(server, "admin", CLIENT, "admin")
    provider = created(
        api.post("/v1/age-assurance/providers", json={"name": "idcheck"}, headers=admin)
    )
    body = json.dumps(
        {
            "reference": "chk-1",
            "user_id": "young",
            "method": "photo_id_matching",
            "age_band": "under-13",
            "confidence": 0.99,
            "assured_at": "2026-11-21T09:00:00+00:00",
        }
    ).encode()
    header = {SIGNATURE_HEADER: sign(provider["secret"], body, int(time.time()))}
    callback = provider["callback_path"]
    bare = httpx.Client(base_url=server.base_url, timeout=30)  # providers have no API key
    tampered = body.replace(b"under-13", b"18+")
    assert_problem(bare.post(callback, content=tampered, headers=header), 401, "invalid-signature")
    assert_problem(api.get("/v1/accounts/young"), 404, "not-found")  # nothing was made
    assert bare.post(callback, content=body, headers=header).status_code == 204
    assert_problem(bare.post(callback, content=body, headers=header), 409, "conflict")
    young = ok(api.get("/v1/accounts/young"))
    assert (young["band"], young["assured"], len(young["evidence"])) == ("under-13", True, 1)

    # The under-13 user is an account item in the moderators' queue.
    items = ok(api.get("/v1/review-items"))["items"]
    assert [(i["kind"], i["reason"]["user_id"]) for i in items] == [("account", "young")]
    assert items[0]["priority"] == 40

    # Conversations take a sender's band from their account when the message names none:
    # an assured child who claims an adult age, talking to an assured adult, is followed up.
    adult = outcome | {"method": "digital_identity", "age_band": "18+"}
    created(api.post("/v1/accounts/grown/age-assurance", json=adult))
    sent = "2026-11-24T10:00:00Z"
    for sender, text in (("grown", "hello there"), ("teen", "i'm 25 actually")):
        message = {"sender_id": sender, "text": text, "sent_at": sent}
        scored = ok(api.post("/v1/conversations/chat-9/messages", json=message))
    assert "adult_age_claim_by_child" in {cue["name"] for cue in scored["cues"]}
    assert scored["review_item_id"] is not None

    # Bad input: problem+json, and nothing changes.
    assert_problem(api.put("/v1/accounts/x", json={"declared_age": -1}), 422, "validation-error")
    assert_problem(api.put("/v1/accounts/x", json={"birth_date": "2999-01-01"}), 400, "bad-request")
    bad_outcome = outcome | {"method": "guessing"}
    assert_problem(
        api.post("/v1/accounts/x/age-assurance", json=bad_outcome), 422, "validation-error"
    )
    assert_problem(
        api.get("/v1/policy/hug", params={"actor": "a", "subject": "b"}), 422, "validation-error"
    )
    assert_problem(api.get("/v1/accounts/x"), 404, "not-found")

    # The CLI reads and writes the same accounts, and refuses bad input with exit 2.
    shown_cli = json.loads(server.cli.ok("accounts", "show", "teen", "--client", CLIENT))
    assert shown_cli["band"] == "13-15"
    answer = server.cli.ok("accounts", "may", "profile", "stranger", "teen", "--client", CLIENT)
    assert json.loads(answer)["allowed"] is False
    refused = server.cli.run("accounts", "declare", "x", "--client", CLIENT, "--birth-date", "soon")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
