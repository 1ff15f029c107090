"""A local fake of StopNCII.org's FetchHashes API, for tests (never the real service).

Built from the shapes python-threatexchange's client reads: ``GET /v1/FetchHashes
?startTimestamp=&pageSize=&nextPageToken=`` with the ``Ocp-Apim-Subscription-Key`` and
``x-functions-key`` headers answers ``count``, ``hashRecords`` (each a hash's latest
state: ``lastModtimestamp``, ``signalType``, ``hashValue``, ``hashStatus``,
``caseNumbers``, ``CSPFeedbacks``), ``hasMoreRecords``, ``nextPageToken`` and
``nextSetTimestamp``. A set's records are served by hash, not in time order.

Failures: ``fail`` (Nth FetchHashes request, from 1 -> HTTP status) and ``malformed``
(Nth request answered with broken JSON).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.serving import Answer, serving

SUBSCRIPTION_KEY = "fake-stopncii-subscription"  # the fake's test values, not credentials
FETCH_KEY = "fake-stopncii-fetch"
BASE_PATH = "/v1"


@dataclass
class FakeStopNcii:
    page_size: int = 2
    records: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    fail: dict[int, int] = field(default_factory=dict)
    malformed: set[int] = field(default_factory=set)
    requests: int = 0
    served: list[str] = field(default_factory=list)  # hash values answered
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, signal_type: str, value: str, at: int, status: str = "Active") -> None:
        """Add a hash or change its state (``Withdrawn``/``Deleted`` withdraw it)."""
        with self._lock:
            self.records[(signal_type, value)] = {
                "lastModtimestamp": at,
                "signalType": signal_type,
                "hashValue": value,
                "hashStatus": status,
                "caseNumbers": {f"case-{value[:8]}": status},
                "CSPFeedbacks": [{"source": "Fake", "feedbackValue": "Blocked", "tags": []}],
            }

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        with self._lock:
            if (
                headers.get("ocp-apim-subscription-key") != SUBSCRIPTION_KEY
                or headers.get("x-functions-key") != FETCH_KEY
            ):
                return _json(401, {"statusCode": 401, "message": "Access denied"})
            parts = urlsplit(path)
            if method != "GET" or parts.path != f"{BASE_PATH}/FetchHashes":
                return _json(404, {"statusCode": 404, "message": "Resource not found"})
            return self._fetch({k: v[0] for k, v in parse_qs(parts.query).items()})

    def _fetch(self, query: dict[str, str]) -> Answer:
        self.requests += 1
        if self.requests in self.fail:
            return _json(self.fail[self.requests], {"message": "Internal server error"})
        if self.requests in self.malformed:
            return 200, "application/json", b'{"count": 2, "hashRecords": [{"hash'
        start = int(query["startTimestamp"])
        size = min(int(query.get("pageSize", self.page_size)), self.page_size)
        chosen = sorted(k for k, r in self.records.items() if r["lastModtimestamp"] >= start)
        first = int(base64.b64decode(query["nextPageToken"])) if "nextPageToken" in query else 0
        keys = chosen[first : first + size]
        self.served.extend(value for _, value in keys)
        more = first + len(keys) < len(chosen)
        latest = max((self.records[k]["lastModtimestamp"] for k in chosen), default=start)
        return _json(
            200,
            {
                "count": len(keys),
                "nextPageToken": base64.b64encode(str(first + len(keys)).encode()).decode(),
                "nextSetTimestamp": latest + 1 if chosen else start,
                "hasMoreRecords": more,
                "hashRecords": [self.records[k] for k in keys],
            },
        )


def _json(status: int, document: object) -> Answer:
    return status, "application/json", json.dumps(document).encode()


@contextmanager
def running(fake: FakeStopNcii | None = None) -> Iterator[FakeStopNcii]:
    """Serve ``fake``; its ``url`` is the exchange's base URL."""
    fake = fake or FakeStopNcii()
    with serving(fake.handle) as root:
        fake.url = root + BASE_PATH
        yield fake
