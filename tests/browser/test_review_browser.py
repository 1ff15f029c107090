"""Reviewing in a real browser: the media of a blocked upload blurred and grey until the
moderator reveals it, a decision taken with the keyboard, the item gone from the queue;
a viewer reads the item but neither sees the media nor decides; a forged decision is
refused. Debian's chromium driven by Playwright; a real server on SQLite with an
evidence vault."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from safeguard.web.security import FORGED
from tests.conftest import jpeg_bytes, synthetic_photo
from tests.integration.server import Server, environment, start_server
from tests.integration.ui import PASSWORD, make_user

PHOTO = jpeg_bytes(synthetic_photo(7))
KEY = "browser-key:" + base64.b64encode(bytes(range(32))).decode()


def upload(server: Server, uploader: str) -> httpx.Response:
    files = {"file": ("holiday.jpg", PHOTO, "image/jpeg")}
    data = {"uploader_id": uploader, "uploader_ip": "192.0.2.7", "uploader_port": "50123"}
    return server.client.post("/v1/screen", files=files, data=data)


@pytest.fixture(scope="module")
def server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose vault keeps flagged uploads; a block bank holding ``PHOTO``'s MD5
    and two uploads of it (one item); a moderator and a viewer."""
    data_dir = tmp_path_factory.mktemp("review-browser")
    env = environment(
        data_dir,
        f"sqlite:///{data_dir / 'safeguard.db'}",
        SAFEGUARD_EVIDENCE_KEYS=KEY,
        SAFEGUARD_BREAK_AFTER_ITEMS="1",
    )
    running = start_server(env)
    try:
        made = running.client.post("/v1/banks", json={"name": "known", "action": "block"})
        assert made.status_code == 201, made.text
        md5 = upload(running, "first").json()["signals"]["md5"]
        entry = {"signal_type": "md5", "value": md5}
        assert running.client.post("/v1/banks/known/entries", json=entry).status_code == 201
        for uploader in ("user-1", "user-2"):
            answer = upload(running, uploader)
            assert answer.json()["decision"] == "block", answer.text
        make_user(running.cli, "mo", "moderator")
        make_user(running.cli, "vic", "viewer")
        yield running
    finally:
        running.stop()


def log_in(page: Page, server: Server, name: str) -> None:
    page.goto(f"{server.base_url}/ui/login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()


def open_item(page: Page) -> None:
    page.get_by_role("row").filter(has_text="known").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Review item")).to_be_visible()


def filter_of(page: Page) -> str:
    image = page.get_by_role("img", name="The content of this item")
    expect(image).to_be_visible()
    return str(image.evaluate("element => getComputedStyle(element).filter"))


def test_a_moderator_reveals_the_media_and_confirms_with_the_keyboard(
    page: Page, server: Server
) -> None:
    log_in(page, server, "mo")
    row = page.get_by_role("row").filter(has_text="known")
    expect(row).to_contain_text("2 uploads")
    open_item(page)
    expect(page.get_by_role("region", name="Uploads")).to_contain_text("user-2")
    page.wait_for_function("document.getElementById('evidence').complete")
    assert "blur" in filter_of(page) and "grayscale" in filter_of(page)
    page.get_by_text("Reveal this item's media").click()
    expect(page.get_by_role("img", name="The content of this item")).to_have_css("filter", "none")
    page.keyboard.press("v")  # hide it again with the keyboard
    assert "blur" in filter_of(page)
    assert (
        page.evaluate("document.getElementById('evidence').naturalWidth") > 0
    )  # the preview decoded

    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("c")
    expect(page.get_by_label("Confirmed", exact=False)).to_be_checked()
    expect(page.get_by_label("Reason", exact=False)).to_be_focused()
    page.keyboard.type("known material, matched exactly")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_text("No open items: the queue is empty.")).to_be_visible()

    page.goto(f"{server.base_url}/ui/?status=decided")
    open_item(page)
    expect(page.get_by_role("region", name="Decisions")).to_contain_text("confirmed")
    media = page.get_by_role("region", name="Media")
    expect(media).to_contain_text("only while the item is in the queue")
    expect(media).to_contain_text("this session: 1")
    expect(page.get_by_role("status")).to_contain_text("take a break")


def test_a_viewer_reads_but_neither_sees_media_nor_decides(page: Page, server: Server) -> None:
    uploaded = upload(server, "user-3")  # a fresh item: the earlier one was decided
    assert uploaded.json()["decision"] == "block"
    log_in(page, server, "vic")
    open_item(page)
    expect(page.get_by_role("region", name="Media")).to_contain_text(
        "shown to moderators and admins"
    )
    expect(page.get_by_role("button", name="Decide")).to_have_count(0)
    expect(page.get_by_role("button", name="Claim")).to_have_count(0)
    item_url = page.url
    assert page.request.get(item_url + "/media/anything").status == 403


def test_a_forged_decision_is_refused(page: Page, server: Server) -> None:
    upload(server, "user-4")
    log_in(page, server, "mo")
    open_item(page)
    page.evaluate("document.querySelector('form.decide input[name=csrf_token]').value = 'x'")
    page.keyboard.press("f")
    page.keyboard.type("looks harmless")
    with page.expect_response(lambda r: r.url.endswith("/decide")) as refused:
        page.keyboard.press("Control+Enter")
    assert refused.value.status == 403
    expect(page.get_by_role("alert")).to_have_text(FORGED)
    page.goto(f"{server.base_url}/ui/")
    expect(page.get_by_role("row").filter(has_text="known")).to_have_count(1)
