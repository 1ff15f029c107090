"""Screening clients that run until told to stop, recording every answer."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx

from tests.conftest import jpeg_bytes, synthetic_photo
from tests.integration.server import Server

# A client gives up on an answer after this long: a hang shows as an error, not a wait.
CLIENT_TIMEOUT = 15.0
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Outcome:
    """One request: when it started (monotonic), how long it took, what it got."""

    started: float
    seconds: float
    status: int | None  # None: no answer (connection refused or reset, or a time-out)
    screening_id: str | None = None
    problem: str | None = None
    retry_after: str | None = None


@dataclass
class ScreeningLoad:
    """``clients`` threads screening photos through ``servers`` in turn until stopped."""

    servers: list[Server]
    clients: int = 4
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> ScreeningLoad:
        photos = [jpeg_bytes(synthetic_photo(700 + i)) for i in range(8)]
        for i in range(self.clients):
            thread = threading.Thread(target=self._client, args=(i, photos), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=CLIENT_TIMEOUT * 2)
        assert not any(thread.is_alive() for thread in self._threads), "a client hung"

    def _client(self, number: int, photos: list[bytes]) -> None:
        clients = [
            httpx.Client(
                base_url=server.base_url,
                headers={"Authorization": f"Bearer {server.key}"},
                timeout=CLIENT_TIMEOUT,
            )
            for server in self.servers
        ]
        sent = number
        while not self._stop.is_set():
            client = clients[sent % len(clients)]
            photo = photos[sent % len(photos)]
            sent += 1
            self.outcomes.append(_screen(client, photo))
            if self.outcomes[-1].status is None:
                time.sleep(0.05)  # a dead server refuses at once: do not spin
        for client in clients:
            client.close()

    def acknowledged(self) -> list[str]:
        """The ids of every screening answered 200."""
        return [o.screening_id for o in list(self.outcomes) if o.screening_id is not None]


def _screen(client: httpx.Client, photo: bytes) -> Outcome:
    started = time.monotonic()
    try:
        response = client.post("/v1/screen", content=photo)
    except httpx.TransportError:
        return Outcome(started, time.monotonic() - started, None)
    seconds = time.monotonic() - started
    if response.status_code == 200:
        return Outcome(started, seconds, 200, screening_id=response.json()["screening_id"])
    problem = None
    if response.headers.get("content-type") == PROBLEM:
        problem = str(response.json()["type"]).rsplit("/", 1)[-1]
    return Outcome(
        started,
        seconds,
        response.status_code,
        problem=problem,
        retry_after=response.headers.get("retry-after"),
    )


def assert_recorded(server: Server, screening_ids: list[str]) -> None:
    """Every one of ``screening_ids`` is in the audit log, as ``server`` reads it."""
    missing = [
        sid
        for sid in screening_ids
        if server.client.get(f"/v1/screenings/{sid}").status_code != 200
    ]
    assert missing == [], f"{len(missing)} of {len(screening_ids)} acknowledged screenings lost"
