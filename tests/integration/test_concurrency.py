"""Many clients screening at once, while the banks change, all answered (issue #16).

Each request has a generous time-out instead of a timing assertion: a wedged service
fails the test by timing out, a slow machine does not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from tests.conftest import jpeg_bytes, synthetic_photo
from tests.integration.server import Server

REQUEST_TIMEOUT = 60.0


def run_in_parallel(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(i)`` on ``count`` threads started together; the errors they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def body(i: int) -> None:
        start.wait()
        try:
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads), "a client never finished"
    return errors


def test_parallel_screenings_with_index_catch_up(server: Server) -> None:
    postgres = "postgresql" in server.cli.env["SAFEGUARD_DATABASE_URL"]
    threads, per_thread = (32, 3) if postgres else (8, 6)
    photos = [jpeg_bytes(synthetic_photo(900 + i)) for i in range(6)]
    first = server.screen(photos[0]).json()["signals"]
    late = server.screen(photos[1]).json()["signals"]
    assert server.client.post("/v1/banks", json={"name": "known"}).status_code == 201
    added = server.client.post(
        "/v1/banks/known/entries", json={"signal_type": "md5", "value": first["md5"]}
    )
    assert added.status_code == 201
    statuses: list[int] = []
    headers = {"Authorization": f"Bearer {server.key}"}

    def client_work(i: int) -> None:
        with httpx.Client(
            base_url=server.base_url, headers=headers, timeout=REQUEST_TIMEOUT
        ) as client:
            if i == 0:  # one client changes the banks while the others screen
                entry = {"signal_type": "pdq", "value": late["pdq"]}
                statuses.append(client.post("/v1/banks/known/entries", json=entry).status_code)
                statuses.append(client.post("/v1/banks", json={"name": "more"}).status_code)
            for n in range(per_thread):
                photo = photos[(i + n) % len(photos)]
                response = client.post("/v1/screen", files={"file": ("upload", photo)})
                statuses.append(response.status_code)
                lookup = client.post("/v1/lookup", json={"signals": {"md5": first["md5"]}})
                statuses.append(lookup.status_code)
                assert lookup.json()["decision"] == "block"

    errors = run_in_parallel(threads, client_work)
    assert errors == []
    assert len(statuses) == threads * per_thread * 2 + 2
    assert set(statuses) <= {200, 201}, sorted(set(statuses))
    # Every worker caught up with the entry added during the run.
    assert server.screen(photos[1]).json()["decision"] == "block"
    assert server.screen(photos[2]).json()["decision"] == "allow"
    assert server.client.get("/v1/health").status_code == 200
