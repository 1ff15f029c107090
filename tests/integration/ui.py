"""Helpers for tests of the moderator UI: users made with the CLI, an item in the queue,
and a browser-like HTTP client that keeps cookies and sends no API key."""

from __future__ import annotations

import re

import httpx

from tests.integration.server import Cli, Server

PASSWORD = "a long enough password"
MD5 = "0123456789abcdef0123456789abcdef"
_HIDDEN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(cli: Cli, name: str, role: str, password: str = PASSWORD) -> None:
    """``safeguard user create NAME --role ROLE``, the password on stdin."""
    made = cli.run("user", "create", name, "--role", role, stdin=f"{password}\n".encode())
    assert made.returncode == 0, made.stderr
    assert password not in made.stdout + made.stderr


def queue_a_review_item(server: Server, bank: str = "check-these") -> str:
    """A review bank holding ``MD5``, and a lookup of ``MD5`` that puts an item in the
    review queue; the item's id."""
    made = server.client.post("/v1/banks", json={"name": bank, "action": "review"})
    assert made.status_code == 201, made.text
    entry = {"signal_type": "md5", "value": MD5}
    assert server.client.post(f"/v1/banks/{bank}/entries", json=entry).status_code == 201
    looked_up = server.client.post("/v1/lookup", json={"signals": {"md5": MD5}})
    assert looked_up.status_code == 200, looked_up.text
    assert looked_up.json()["decision"] == "review", looked_up.text
    [item] = server.client.get("/v1/review-items").json()["items"]
    return str(item["id"])


def browser(server: Server) -> httpx.Client:
    """A client like a browser: keeps cookies, follows no redirect, has no API key."""
    return httpx.Client(base_url=server.base_url, timeout=60, follow_redirects=False)


def hidden_token(page: httpx.Response) -> str:
    """The ``csrf_token`` hidden field of the first form on ``page``."""
    found = _HIDDEN_TOKEN.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def log_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    """Open the login form, then post it with its token."""
    form = client.get("/ui/login")
    assert form.status_code == 200, form.text
    data = {"username": name, "password": password, "csrf_token": hidden_token(form)}
    return client.post("/ui/login", data=data)
