"""A moderator in a real browser: logging in through the labelled form, reading the queue
and an item, and forged forms refused. Chromium is Debian's package, driven by
Playwright (no browser is ever downloaded); the server is real, on SQLite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from safeguard.web.security import FORGED
from tests.integration.server import Server, environment, start_server
from tests.integration.ui import MD5, PASSWORD, make_user, queue_a_review_item


@pytest.fixture(scope="module")
def server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module, with a moderator and an item in the queue."""
    data_dir = tmp_path_factory.mktemp("browser")
    running = start_server(environment(data_dir, f"sqlite:///{data_dir / 'safeguard.db'}"))
    try:
        make_user(running.cli, "mo", "moderator")
        queue_a_review_item(running)
        yield running
    finally:
        running.stop()


def log_in(page: Page, server: Server, password: str = PASSWORD) -> None:
    page.goto(f"{server.base_url}/ui/login")
    page.get_by_label("Username").fill("mo")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_moderator_logs_in_and_reads_an_item(page: Page, server: Server) -> None:
    page.goto(f"{server.base_url}/ui/")
    expect(page).to_have_url(f"{server.base_url}/ui/login")
    log_in(page, server, "not the password")
    expect(page.get_by_role("alert")).to_have_text("wrong user name or password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_text("Signed in as mo (moderator)")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="check-these")
    expect(row).to_contain_text("tests")
    # The stylesheet loads under the content security policy.
    header = page.locator("header.top")
    assert header.evaluate("element => getComputedStyle(element).display") == "flex"

    row.get_by_role("link", name="screening").click()
    expect(page.get_by_role("heading", name="Review item")).to_be_visible()
    match = page.get_by_role("region", name="Matches").get_by_role("row").nth(1)
    expect(match).to_contain_text("check-these")
    expect(match).to_contain_text("md5")
    expect(page.get_by_role("region", name="Signals")).to_contain_text(MD5)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto(f"{server.base_url}/ui/")
    expect(page).to_have_url(f"{server.base_url}/ui/login")


def test_forged_forms_are_refused(page: Page, server: Server) -> None:
    page.goto(f"{server.base_url}/ui/login")
    page.evaluate("document.querySelector('input[name=csrf_token]').value = 'forged'")
    page.get_by_label("Username").fill("mo")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(f"{server.base_url}/ui/login") as refused:
        page.get_by_role("button", name="Log in").click()
    assert refused.value.status == 403
    expect(page.get_by_role("alert")).to_have_text(FORGED)

    log_in(page, server)
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    page.evaluate("document.querySelector('header form input[name=csrf_token]').value = 'x'")
    with page.expect_response(f"{server.base_url}/ui/logout") as refused:
        page.get_by_role("button", name="Log out").click()
    assert refused.value.status == 403
    expect(page.get_by_role("alert")).to_have_text(FORGED)
    page.goto(f"{server.base_url}/ui/")  # the session lives on
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
