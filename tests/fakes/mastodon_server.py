"""A local fake of a Mastodon server, from Mastodon's documentation: media attachment
files served under ``/system/...``, ``POST /api/v1/reports`` (form fields
``account_id``, ``status_ids[]``, ``comment``, ``category``, ``forward``; a bearer token
with ``write:reports``) answering the Report entity, and helpers that build and sign
admin webhook deliveries (``X-Hub-Signature: sha256=<HMAC-SHA256 hex>``). Serve it with
``serving(fake.handle)``."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from tests.fakes.serving import Answer

JSON = "application/json"


@dataclass
class FakeMastodon:
    """``files``: path -> bytes served; ``reports``: the form of each report filed."""

    token: str = "mastodon-test-token"
    url: str = ""  # set to where it is served
    files: dict[str, bytes] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    reports: list[dict[str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_file(self, name: str, data: bytes) -> str:
        """Serve ``data`` as a media attachment's file; its URL."""
        path = f"/system/media_attachments/files/{name}"
        self.files[path] = data
        return self.url + path

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        if method == "GET":
            with self.lock:
                self.fetched.append(path)
            data = self.files.get(path)
            return (200, "image/png", data) if data is not None else (404, JSON, b"{}")
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, JSON, b'{"error": "The access token is invalid"}'
        if method != "POST" or path != "/api/v1/reports":
            return 404, JSON, b'{"error": "Not found"}'
        form = parse_qs(body.decode())
        with self.lock:
            self.reports.append(form)
            number = len(self.reports)
        report = {
            "id": str(number),
            "action_taken": False,
            "category": form["category"][0],
            "comment": form["comment"][0],
            "forwarded": False,
            "status_ids": form["status_ids[]"],
            "target_account": {"id": form["account_id"][0]},
        }
        return 200, JSON, json.dumps(report).encode()


def status_event(
    event: str, status_id: str, account_id: str, media: list[tuple[str, str]]
) -> bytes:
    """A ``status.*`` delivery body: the status as Mastodon's REST API shows it, with
    ``media`` as (attachment id, file URL) pairs."""
    status = {
        "id": status_id,
        "created_at": "2026-11-26T05:00:00.000Z",
        "url": f"https://mastodon.example/@someone/{status_id}",
        "visibility": "public",
        "content": "<p>a post</p>",
        "account": {"id": account_id, "username": "someone", "acct": "someone"},
        "media_attachments": [
            {"id": media_id, "type": "image", "url": url, "preview_url": url, "remote_url": None}
            for media_id, url in media
        ],
    }
    document = {"event": event, "created_at": "2026-11-26T05:00:01.000Z", "object": status}
    return json.dumps(document).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
