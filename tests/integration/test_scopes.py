"""API keys carry scopes (least privilege): over real HTTP, on SQLite and PostgreSQL, a
``screen`` key screens but cannot touch the banks, a ``banks`` key manages the banks but
cannot screen, and a key that is not valid is still 401, never 403. The CLI makes
``screen`` keys unless told otherwise."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.server import Cli, Server, create_api_key, environment, start_server

MD5 = "5dc1441dd7a12fa79f2a43b1ebc93eab"
OTHER_MD5 = "0123456789abcdef0123456789abcdef"
PROBLEM_MEDIA_TYPE = "application/problem+json"


@pytest.fixture
def scoped_server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A server whose own key (``admin-key``) may do everything, with a bank ``known``
    holding one entry."""
    env = environment(tmp_path / "data", database_url)
    running = start_server(env, "admin-key")
    try:
        bank = running.client.post("/v1/banks", json={"name": "known"})
        assert bank.status_code == 201, bank.text
        entry = running.client.post(
            "/v1/banks/known/entries", json={"signal_type": "md5", "value": MD5}
        )
        assert entry.status_code == 201, entry.text
        yield running
    finally:
        running.stop()


def key_with(server: Server, name: str, *scopes: str) -> dict[str, str]:
    """The ``Authorization`` header of a new key ``name`` with ``scopes``."""
    key = create_api_key(server.cli.env["SAFEGUARD_DATABASE_URL"], name, scopes=scopes)
    return {"Authorization": f"Bearer {key}"}


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    assert response.json()["type"].endswith(f"/{slug}")


def assert_forbidden(response: httpx.Response, scope: str) -> None:
    assert_problem(response, 403, "forbidden")
    assert f"'{scope}' scope" in response.json()["detail"]
    assert "www-authenticate" not in response.headers  # the key is fine: no new one helps


def listed_scopes(cli: Cli) -> dict[str, list[str]]:
    """Each key's scopes, by its name, as ``apikey list`` shows them."""
    keys = [json.loads(line) for line in cli.ok("apikey", "list").splitlines()]
    return {key["name"]: key["scopes"] for key in keys}


def bank_state(server: Server) -> object:
    """The banks and the entries of ``known``, read with the server's own key."""
    banks = server.client.get("/v1/banks")
    entries = server.client.get("/v1/banks/known/entries")
    assert banks.status_code == entries.status_code == 200, (banks.text, entries.text)
    return banks.json(), entries.json()


def test_a_screen_key_screens_but_cannot_touch_the_banks(scoped_server: Server) -> None:
    server = scoped_server
    headers = key_with(server, "screener", "screen")
    looked_up = server.client.post("/v1/lookup", json={"signals": {"md5": MD5}}, headers=headers)
    assert looked_up.status_code == 200, looked_up.text
    assert looked_up.json()["decision"] == "block"
    screened = server.client.post(
        "/v1/screen", files={"file": ("upload", b"\x89PNG not really")}, headers=headers
    )
    assert screened.status_code != 403, screened.text  # refused as content, not as a key
    screening_id = looked_up.json()["screening_id"]
    record = server.client.get(f"/v1/screenings/{screening_id}", headers=headers)
    assert record.status_code == 200, record.text

    before = bank_state(server)
    entry = server.client.get("/v1/banks/known/entries").json()["entries"][0]["id"]
    attempts = [
        ("GET", "/v1/banks", None),
        ("GET", "/v1/banks/known", None),
        ("POST", "/v1/banks", {"name": "mine"}),
        ("DELETE", "/v1/banks/known", None),
        ("POST", "/v1/banks/known/entries", {"signal_type": "md5", "value": OTHER_MD5}),
        ("PATCH", f"/v1/banks/known/entries/{entry}", {"enabled": False}),
        ("DELETE", f"/v1/banks/known/entries/{entry}", None),
    ]
    for method, path, body in attempts:
        response = server.client.request(method, path, json=body, headers=headers)
        assert_forbidden(response, "banks")
    assert bank_state(server) == before  # nothing changed


def test_a_banks_key_manages_banks_but_cannot_screen(scoped_server: Server) -> None:
    server = scoped_server
    headers = key_with(server, "list-manager", "banks")
    looked_up = server.client.post("/v1/lookup", json={"signals": {"md5": MD5}}, headers=headers)
    assert_forbidden(looked_up, "screen")
    screened = server.client.post(
        "/v1/screen", files={"file": ("upload", b"anything")}, headers=headers
    )
    assert_forbidden(screened, "screen")
    assert_forbidden(server.client.get("/v1/review-items", headers=headers), "screen")

    created = server.client.post("/v1/banks", json={"name": "lists"}, headers=headers)
    assert created.status_code == 201, created.text
    added = server.client.post(
        "/v1/banks/lists/entries", json={"signal_type": "md5", "value": OTHER_MD5}, headers=headers
    )
    assert added.status_code == 201, added.text
    listed = server.client.get("/v1/banks", headers=headers).json()["banks"]
    names = [bank["name"] for bank in listed]
    assert sorted(names) == ["known", "lists"]


def test_a_key_with_both_scopes_does_both(scoped_server: Server) -> None:
    server = scoped_server
    headers = key_with(server, "both", "screen", "banks")
    assert server.client.get("/v1/banks", headers=headers).status_code == 200
    looked_up = server.client.post("/v1/lookup", json={"signals": {"md5": MD5}}, headers=headers)
    assert looked_up.status_code == 200, looked_up.text


def test_an_unknown_or_revoked_key_is_unauthorized_not_forbidden(scoped_server: Server) -> None:
    server = scoped_server
    revoked = key_with(server, "short-lived", "screen")
    server.cli.ok("apikey", "revoke", "short-lived")
    unknown = {"Authorization": "Bearer sg_not-a-key"}
    for headers in (revoked, unknown):
        for method, path, body in (
            ("GET", "/v1/banks", None),
            ("POST", "/v1/lookup", {"signals": {"md5": MD5}}),
        ):
            response = server.client.request(method, path, json=body, headers=headers)
            assert_problem(response, 401, "unauthorized")
            assert response.headers["www-authenticate"] == "Bearer"


def test_the_cli_makes_screen_keys_unless_told_otherwise(database_url: str, tmp_path: Path) -> None:
    cli = Cli(environment(tmp_path / "data", database_url))
    created = cli.ok("apikey", "create", "x")
    assert "with scopes screen;" in created
    both = cli.ok("apikey", "create", "y", "--scope", "banks", "--scope", "screen")
    assert "with scopes screen, banks;" in both
    assert listed_scopes(cli) == {"x": ["screen"], "y": ["screen", "banks"]}

    result = cli.run("apikey", "create", "z", "--scope", "nonsense")
    assert result.returncode == 2, (result.stdout, result.stderr)
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("safeguard: ") and "nonsense" in line
    assert "z" not in listed_scopes(cli)
