"""Reporting to the UK NCA from the moderator UI of a real server, against a local fake
NCA, on SQLite and PostgreSQL: a blocked upload is confirmed by a moderator, who drafts
the report, reads the exact payload and sends it; the fake receives exactly that, the
report is finished and an admin sees it, with the NCA's answers, on /ui/reports. An item
that is not confirmed cannot be reported, and nothing is sent for it."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import jpeg_bytes, synthetic_photo
from tests.fakes.nca_server import FakeNca, start_fake_nca
from tests.integration.server import Server, environment, start_server
from tests.integration.ui import browser, hidden_token, log_in, make_user

KEY = "k1:" + base64.b64encode(bytes(range(1, 33))).decode()
FLAGGED = jpeg_bytes(synthetic_photo(31))
OTHER = jpeg_bytes(synthetic_photo(32))
_SEND = re.compile(r'action="/ui/authority-reports/([0-9a-f-]+)/send"')


@pytest.fixture
def fake() -> Iterator[FakeNca]:
    running = start_fake_nca()
    yield running
    running.stop()


@pytest.fixture
def server(database_url: str, tmp_path: Path, fake: FakeNca) -> Iterator[Server]:
    env = environment(
        tmp_path / "data",
        database_url,
        SAFEGUARD_EVIDENCE_KEYS=KEY,
        SAFEGUARD_REPORT_JURISDICTIONS="uk",
        SAFEGUARD_NCA_URL=fake.url,
        SAFEGUARD_NCA_TOKEN=fake.token,
        SAFEGUARD_PROVIDER_NAME="Example Ltd",
        SAFEGUARD_PROVIDER_CONTACT_NAME="Sam Safety",
        SAFEGUARD_PROVIDER_CONTACT_EMAIL="safety@example.org",
        SAFEGUARD_PROVIDER_COUNTRY="GB",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    running = start_server(env)
    try:
        yield running
    finally:
        running.stop()


def upload(server: Server, data: bytes, **fields: str) -> httpx.Response:
    files = {"file": ("beach.jpg", data, "image/jpeg")}
    return server.client.post("/v1/screen", files=files, data=fields)


def block(server: Server, data: bytes) -> None:
    made = server.client.post("/v1/banks", json={"name": "known", "action": "block"})
    assert made.status_code in (201, 409)
    md5 = upload(server, data).json()["signals"]["md5"]  # allowed: nothing is kept
    entry = {"signal_type": "md5", "value": md5}
    assert server.client.post("/v1/banks/known/entries", json=entry).status_code == 201


def queued(server: Server, screening_id: str) -> str:
    items = server.client.get("/v1/review-items").json()["items"]
    return str(next(i["id"] for i in items if i["screening_id"] == screening_id))


def test_a_moderator_reports_a_confirmed_upload_to_the_nca(server: Server, fake: FakeNca) -> None:
    block(server, FLAGGED)
    fields = {"uploader_id": "user-7", "uploader_ip": "2001:db8::7", "uploader_port": "443"}
    blocked = upload(server, FLAGGED, **fields).json()
    assert blocked["decision"] == "block"
    item_id = queued(server, blocked["screening_id"])
    make_user(server.cli, "mo", "moderator")
    make_user(server.cli, "ada", "admin")
    with browser(server) as client:
        assert log_in(client, "mo").status_code == 303
        page = client.get(f"/ui/items/{item_id}")
        assert "Report to authorities" not in page.text  # not confirmed yet
        token = hidden_token(page)
        form = {"csrf_token": token, "outcome": "confirmed", "reason": "checked"}
        assert client.post(f"/ui/items/{item_id}/decide", data=form).status_code == 303
        page = client.get(f"/ui/items/{item_id}")
        assert "Report to authorities" in page.text
        draft = {"csrf_token": token, "classification": "A1", "annotations": ["infant"]}
        assert client.post(f"/ui/items/{item_id}/authority-reports", data=draft).status_code == 303
        page = client.get(f"/ui/items/{item_id}")
        assert fake.received == []  # drafting sends nothing
        shown = html.unescape(page.text)
        assert '"true_and_complete": true' in shown and '"user-7"' in shown
        assert "2001:db8::7" in shown and "Send to nca" in page.text
        [report_id] = _SEND.findall(page.text)
        payload = shown.split('<pre class="payload">')[1].split("</pre>")[0]
        sent = client.post(f"/ui/authority-reports/{report_id}/send", data={"csrf_token": token})
        assert sent.status_code == 303
        [received] = fake.reports()
        assert received.body.decode() == payload  # exactly what the moderator read
        document = received.json()
        assert document["content"][0]["hashes"]["md5"] == blocked["signals"]["md5"]
        assert document["content"][0]["classification"] == "A1"
        assert document["users"][0]["ip_addresses"][0]["port"] == 443
        page = client.get(f"/ui/items/{item_id}")
        assert "nca (test): finished" in page.text and "NCA-0001" in page.text
        assert client.get("/ui/reports").status_code == 403  # the admins' page
    with browser(server) as client:
        assert log_in(client, "ada").status_code == 303
        listing = client.get("/ui/reports")
        assert listing.status_code == 200
        assert "finished" in listing.text and "NCA-0001" in listing.text
        assert "HTTP 201" in listing.text  # the NCA's answer
        assert json.dumps(FLAGGED[:8].hex()) not in listing.text


def test_an_item_that_is_not_confirmed_cannot_be_reported(server: Server, fake: FakeNca) -> None:
    block(server, OTHER)
    blocked = upload(server, OTHER).json()
    item_id = queued(server, blocked["screening_id"])
    make_user(server.cli, "mo", "moderator")
    with browser(server) as client:
        assert log_in(client, "mo").status_code == 303
        token = hidden_token(client.get(f"/ui/items/{item_id}"))
        draft = {"csrf_token": token, "classification": "A1"}
        refused = client.post(f"/ui/items/{item_id}/authority-reports", data=draft)
        assert refused.status_code == 400
        assert "confirmed" in refused.text
        forged = client.post(
            f"/ui/items/{item_id}/authority-reports", data={"classification": "A1"}
        )
        assert forged.status_code == 403
    assert fake.received == []
