"""A local fake of an HMA (OpenMediaMatch) peer exposing a bank for exchange.

``GET /c/bank/{bank}/export?after=&limit=`` answers ``{"content": [...],
"next_after": ...}``, each item in HMA's ``BankContentResponse`` shape (``id``,
``disable_until_ts``, ``bank``, ``signals``); ``GET /c/bank/{bank}`` answers HMA's
``BankConfig``. An optional bearer token is checked. Failures: ``fail`` (Nth export
request, from 1 -> HTTP status) and ``malformed`` (Nth export request answered with
broken JSON).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.serving import Answer, serving

TOKEN = "fake-hma-token"  # a test value of the fake server, not a credential


@dataclass
class FakeHma:
    bank: str = "PEER_BANK"
    content: dict[int, dict[str, Any]] = field(default_factory=dict)
    token: str | None = None
    fail: dict[int, int] = field(default_factory=dict)
    malformed: set[int] = field(default_factory=set)
    exports: int = 0
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, content_id: int, signals: dict[str, str], disable_until_ts: int = 1) -> None:
        with self._lock:
            self.content[content_id] = {"signals": signals, "disable_until_ts": disable_until_ts}

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        with self._lock:
            if self.token and headers.get("authorization") != f"Bearer {self.token}":
                return _json(403, {"message": "forbidden"})
            parts = urlsplit(path)
            segments = [unquote(s) for s in parts.path.strip("/").split("/")]
            if method != "GET" or segments[:2] != ["c", "bank"] or len(segments) < 3:
                return _json(404, {"message": "not found"})
            if segments[2] != self.bank:
                return _json(404, {"message": f"bank '{segments[2]}' not found"})
            if len(segments) == 3:
                return _json(200, self._bank())
            if segments[3:] == ["export"]:
                return self._export(parse_qs(parts.query))
            return _json(404, {"message": "not found"})

    def _bank(self) -> dict[str, Any]:
        return {"name": self.bank, "matching_enabled_ratio": 1.0}

    def _export(self, query: dict[str, list[str]]) -> Answer:
        self.exports += 1
        if self.exports in self.fail:
            return _json(self.fail[self.exports], {"message": "server error"})
        if self.exports in self.malformed:
            return 200, "application/json", b'{"content": [{"id": '
        after = int(query.get("after", ["0"])[0])
        limit = int(query.get("limit", ["100"])[0])
        ids = sorted(i for i in self.content if i > after)[:limit]
        items = [
            {
                "id": i,
                "disable_until_ts": self.content[i]["disable_until_ts"],
                "bank": self._bank(),
                "signals": self.content[i]["signals"],
            }
            for i in ids
        ]
        more = bool(ids) and any(i > ids[-1] for i in self.content)
        return _json(200, {"content": items, "next_after": ids[-1] if more else None})


def _json(status: int, document: object) -> Answer:
    return status, "application/json", json.dumps(document).encode()


@contextmanager
def running(fake: FakeHma | None = None) -> Iterator[FakeHma]:
    fake = fake or FakeHma()
    with serving(fake.handle) as root:
        fake.url = root
        yield fake
