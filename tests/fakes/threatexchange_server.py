"""A local fake of Meta ThreatExchange's threat updates, for tests (never the real
Graph API).

Built from the shapes python-threatexchange's client reads:
``GET /v21.0/{privacy_group}/threat_updates?access_token=&start_time=&stop_time=&limit=&fields=``
answers ``{"data": [...], "paging": {"next": <absolute URL>}}``, each update an
indicator's latest state (``id``, ``indicator``, ``type``, ``last_updated``,
``should_delete``, ``tags``); the next link carries the token and an ``after`` cursor,
as the Graph API's do. A range's updates are served by id, not in time order. A wrong
token is answered as the Graph API does (HTTP 400, an ``OAuthException``).

Failures: ``fail`` (Nth threat_updates request, from 1 -> HTTP status) and
``malformed`` (Nth request answered with broken JSON).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes.serving import Answer, serving

TOKEN = "1234567890|fake-threatexchange-app-token"  # the fake's test value, not a credential
VERSION = "/v21.0"


@dataclass
class FakeUpdate:
    id: int
    indicator: str
    type: str
    last_updated: int
    tags: list[str] = field(default_factory=list)
    should_delete: bool = False


@dataclass
class FakeThreatExchange:
    privacy_group: str = "1012345678"
    page_size: int = 2
    updates: dict[int, FakeUpdate] = field(default_factory=dict)
    fail: dict[int, int] = field(default_factory=dict)
    malformed: set[int] = field(default_factory=set)
    requests: int = 0
    served: list[int] = field(default_factory=list)  # ids of the updates answered
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, update: FakeUpdate) -> None:
        with self._lock:
            self.updates[update.id] = update

    def delete(self, update_id: int, at: int) -> None:
        """A tombstone: the indicator is withdrawn at ``at``."""
        with self._lock:
            update = self.updates[update_id]
            update.should_delete, update.last_updated = True, at

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        with self._lock:
            parts = urlsplit(path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if query.get("access_token") != TOKEN:
                error = {"message": "Invalid OAuth access token.", "type": "OAuthException"}
                return _json(400, {"error": {**error, "code": 190}})
            route = f"{VERSION}/{self.privacy_group}/threat_updates"
            if method != "GET" or parts.path.rstrip("/") != route:
                return _json(404, {"error": {"message": "Unknown path", "code": 803}})
            return self._threat_updates(query)

    def _threat_updates(self, query: dict[str, str]) -> Answer:
        self.requests += 1
        if self.requests in self.fail:
            return _json(self.fail[self.requests], {"error": {"message": "An unknown error"}})
        if self.requests in self.malformed:
            return 200, "application/json", b'{"data": [{"id": "1'
        start, stop = int(query.get("start_time", 0)), int(query["stop_time"])
        chosen = sorted(u for u in self.updates if start <= self.updates[u].last_updated < stop)
        first = int(base64.b64decode(query["after"])) if "after" in query else 0
        limit = int(query.get("limit", self.page_size))
        ids = chosen[first : first + min(limit, self.page_size)]
        self.served.extend(ids)
        fields = query.get("fields", "id").split(",")
        data = [_fields(self.updates[i], fields) for i in ids]
        document: dict[str, object] = {"data": data}
        if first + len(ids) < len(chosen):
            after = base64.b64encode(str(first + len(ids)).encode()).decode()
            link = {**query, "after": after}
            route = f"{VERSION}/{self.privacy_group}/threat_updates"
            document["paging"] = {
                "cursors": {"after": after},
                "next": f"{self.url}{route}?{urlencode(link)}",
            }
        return _json(200, document)


def _fields(update: FakeUpdate, fields: list[str]) -> dict[str, object]:
    full: dict[str, object] = {
        "id": str(update.id),
        "indicator": update.indicator,
        "type": update.type,
        "last_updated": update.last_updated,
        "should_delete": update.should_delete,
        "tags": {"data": [{"text": tag} for tag in update.tags]},
    }
    return {name: full[name] for name in fields if name in full}


def _json(status: int, document: object) -> Answer:
    return status, "application/json", json.dumps(document).encode()


@contextmanager
def running(fake: FakeThreatExchange | None = None) -> Iterator[FakeThreatExchange]:
    """Serve ``fake``; its ``url`` with ``VERSION`` is the exchange's base URL."""
    fake = fake or FakeThreatExchange()
    with serving(fake.handle) as root:
        fake.url = root
        yield fake
