"""The transparency report in a real browser: an admin opens the report page of the
moderator UI and sees its three charts drawn; the self-contained HTML file, opened
from disk with JavaScript off, shows them too. Debian's chromium driven by Playwright;
a real server on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from safeguard.moderation import people
from safeguard.store.db import Database
from tests.browser.test_review_browser import log_in
from tests.integration.server import Server, environment, start_server
from tests.integration.ui import MD5, PASSWORD

CHARTS = ("Volumes over time", "Time to action", "Detector precision")


@pytest.fixture(scope="module")
def server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with a block bank, a blocked and an allowed lookup, and an admin."""
    data_dir = tmp_path_factory.mktemp("transparency-browser")
    url = f"sqlite:///{data_dir / 'safeguard.db'}"
    running = start_server(environment(data_dir, url))
    try:
        api = running.client
        assert api.post("/v1/banks", json={"name": "known", "action": "block"}).is_success
        entry = {"signal_type": "md5", "value": MD5}
        assert api.post("/v1/banks/known/entries", json=entry).is_success
        for value in (MD5, "f" * 32):
            assert api.post("/v1/lookup", json={"signals": {"md5": value}}).is_success
        db = Database(url)
        people.create_user(db, "ada", PASSWORD, "admin", "tests")
        db.dispose()
        yield running
    finally:
        running.stop()


def period() -> dict[str, str]:
    today = datetime.now(UTC).date()
    return {"from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()}


def charts_drawn(page: Page) -> None:
    for title in CHARTS:
        chart = page.locator("figure.chart").filter(has_text=title).get_by_role("img")
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100, (title, box)


def test_an_admin_sees_the_charts_in_the_ui_and_in_the_file(
    page: Page, browser: Browser, server: Server, tmp_path: Path
) -> None:
    log_in(page, server, "ada")
    shown = period()
    page.goto(f"{server.base_url}/ui/transparency?from={shown['from']}&to={shown['to']}")
    expect(page.get_by_role("heading", name="Transparency report")).to_be_visible()
    charts_drawn(page)
    expect(page.get_by_role("row", name="by_decision.block")).to_contain_text("suppressed")

    answer = server.client.get("/v1/transparency/report", params=shown | {"format": "html"})
    file = tmp_path / "report.html"
    file.write_text(answer.text, encoding="utf-8")
    context = browser.new_context(java_script_enabled=False)
    try:
        offline = context.new_page()
        offline.goto(file.as_uri())
        charts_drawn(offline)
    finally:
        context.close()
