"""The moderator UI in a real server, on SQLite and PostgreSQL: login with CSRF and
throttling, the queue and an item page, sessions that only the cookie opens, roles."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select

from safeguard.store.db import Database
from safeguard.store.models import LoginFailure
from safeguard.web.security import FORGED, HEADERS
from tests.integration.server import Server
from tests.integration.ui import (
    MD5,
    PASSWORD,
    browser,
    hidden_token,
    log_in,
    make_user,
    queue_a_review_item,
)


def login_failures(server: Server) -> int:
    db = Database(server.cli.env["SAFEGUARD_DATABASE_URL"])
    try:
        with db.read_session() as session:
            return session.scalar(select(func.count()).select_from(LoginFailure)) or 0
    finally:
        db.dispose()


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Each cookie the answer sets, with its attributes as sent."""
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def test_login_form_csrf_and_wrong_passwords(server: Server) -> None:
    short = server.cli.run("user", "create", "alice", "--role", "viewer", stdin=b"hunter2\n")
    assert short.returncode == 2 and "hunter2" not in short.stdout + short.stderr
    assert short.stderr == "safeguard: error: a password needs at least 12 characters\n"
    make_user(server.cli, "alice", "moderator")
    with browser(server) as ui:
        form = ui.get("/ui/login")
        assert form.status_code == 200
        assert '<label for="username">Username</label>' in form.text
        assert '<label for="password">Password</label>' in form.text
        assert '<button type="submit">Log in</button>' in form.text
        assert {k: form.headers[k] for k in HEADERS} == HEADERS
        cookie = set_cookies(form)["safeguard_login_csrf"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
        assert "Secure" not in cookie
        token = hidden_token(form)
        assert f"safeguard_login_csrf={token}" in cookie

        wrong = ui.post(
            "/ui/login", data={"username": "alice", "password": "not it", "csrf_token": token}
        )
        assert wrong.status_code == 401
        assert re.search(r'role="alert"[^>]*>wrong user name or password<', wrong.text)
        assert "safeguard_session" not in ui.cookies
        odd_name = {"username": "al\x00ice" + "e" * 300, "password": "not it"}
        assert ui.post("/ui/login", data=odd_name | {"csrf_token": token}).status_code == 401
        assert login_failures(server) == 2

        right = {"username": "alice", "password": PASSWORD}
        forged = ui.post("/ui/login", data=right | {"csrf_token": token[::-1]})
        missing = ui.post("/ui/login", data=right)
        for refused in (forged, missing):
            assert refused.status_code == 403 and FORGED in refused.text
            assert {k: refused.headers[k] for k in HEADERS} == HEADERS
    with browser(server) as stranger:  # the field, but no cookie to match it
        no_cookie = stranger.post("/ui/login", data=right | {"csrf_token": token})
        assert no_cookie.status_code == 403 and FORGED in no_cookie.text
    assert login_failures(server) == 2  # refused forms check no password


def test_queue_item_page_sessions_and_logout(server: Server) -> None:
    item_id = queue_a_review_item(server)
    make_user(server.cli, "mo", "moderator")
    with browser(server) as ui:
        assert ui.get("/ui/").headers["location"] == "/ui/login"
        logged_in = log_in(ui, "mo")
        assert logged_in.status_code == 303 and logged_in.headers["location"] == "/ui/"
        cookie = set_cookies(logged_in)["safeguard_session"]
        for attribute in ("HttpOnly", "SameSite=strict", "Path=/ui", "Max-Age=28800"):
            assert attribute in cookie
        token = ui.cookies["safeguard_session"]

        queue = ui.get("/ui/")
        assert queue.status_code == 200
        assert {k: queue.headers[k] for k in HEADERS} == HEADERS
        assert "<strong>mo</strong> (moderator)" in queue.text
        assert f'href="/ui/items/{item_id}"' in queue.text
        assert ">tests<" in queue.text  # the client of the server's key
        assert "1 match (md5) in check-these" in queue.text

        item = ui.get(f"/ui/items/{item_id}")
        assert item.status_code == 200
        for shown in ("check-these", "md5", MD5, ">0<", "review", "lookup"):
            assert shown in item.text
        missing = ui.get("/ui/items/no-such-item")
        assert missing.status_code == 404 and "no review item" in missing.text

        # An API key opens no page; the session cookie calls no API.
        with browser(server) as keyed:
            keyed.headers["Authorization"] = f"Bearer {server.key}"
            assert keyed.get("/ui/").headers["location"] == "/ui/login"
            cookie_only = keyed.post(
                "/v1/lookup",
                json={"signals": {"md5": MD5}},
                headers={"Authorization": "", "Cookie": f"safeguard_session={token}"},
            )
        assert cookie_only.status_code == 401

        csrf = hidden_token(queue)
        refused = ui.post("/ui/logout", data={})
        assert refused.status_code == 403 and "forged" in refused.text
        assert ui.post("/ui/logout", data={"csrf_token": csrf[::-1]}).status_code == 403
        assert ui.get("/ui/").status_code == 200  # still logged in
        logged_out = ui.post("/ui/logout", data={"csrf_token": csrf})
        assert logged_out.status_code == 303 and logged_out.headers["location"] == "/ui/login"
        assert 'safeguard_session=""' in set_cookies(logged_out)["safeguard_session"]
    with browser(server) as replay:  # the old cookie is worth nothing now
        replay.cookies.set("safeguard_session", token, path="/ui")
        assert replay.get("/ui/").headers["location"] == "/ui/login"


def test_roles_throttling_and_users_managed_with_the_cli(server: Server) -> None:
    make_user(server.cli, "val", "viewer")
    with browser(server) as ui:
        assert log_in(ui, "val").status_code == 303
        refused = ui.get("/ui/users")
        assert refused.status_code == 403 and "admin role" in refused.text
        assert 'href="/ui/users"' not in ui.get("/ui/").text
        server.cli.ok("user", "set-role", "val", "admin")  # applies to the open session
        users = ui.get("/ui/users")
        assert users.status_code == 200 and "<td>val</td>" in users.text
        assert 'href="/ui/users"' in ui.get("/ui/").text

        with browser(server) as guesser:
            for attempt in range(5):  # SAFEGUARD_LOGIN_MAX_FAILURES
                assert log_in(guesser, "val", f"guess number {attempt}").status_code == 401
            throttled = log_in(guesser, "val")  # even with the right password
            assert throttled.status_code == 429 and "too many failed logins" in throttled.text
            assert throttled.headers["retry-after"] == str(15 * 60)
            assert "safeguard_session" not in guesser.cookies

        server.cli.ok("user", "disable", "val")  # ends the session at once
        assert ui.get("/ui/").headers["location"] == "/ui/login"
    [listed] = server.cli.ok("user", "list").splitlines()
    assert '"name": "val", "role": "admin", "disabled": true' in listed
