"""PostgreSQL stopped and started again under load, two workers on it: meanwhile both
report not-ready and answer 503 problem+json with Retry-After at once, never hanging;
afterwards the same processes serve again, and no acknowledged screening is lost."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.faults.load import Outcome, ScreeningLoad, assert_recorded
from tests.faults.postgres import Cluster, postgres_bin, throwaway_cluster
from tests.integration.server import Server, environment, start_server
from tests.integration.test_api_errors import assert_problem

PROMPT = 5.0  # seconds: an answer slower than this while the database is down is a hang
RECOVERY = 30.0  # seconds for both workers to say ready again once the database is back
OUTAGE = 3.0  # seconds the database stays down


def wait_for(load: ScreeningLoad, count: int, since: float) -> None:
    """Until ``count`` screenings started after ``since`` were acknowledged."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if sum(o.status == 200 and o.started > since for o in list(load.outcomes)) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} screenings acknowledged in 60 s")


def assert_not_ready(server: Server) -> None:
    started = time.monotonic()
    ready = server.client.get("/v1/ready", timeout=PROMPT)
    assert time.monotonic() - started < PROMPT
    assert_problem(ready, 503, "database-unavailable")
    assert int(ready.headers["retry-after"]) > 0


def wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + RECOVERY
    while time.monotonic() < deadline:
        try:
            if server.client.get("/v1/ready", timeout=PROMPT).status_code == 200:
                return
        except httpx.TimeoutException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{server.base_url} not ready {RECOVERY} s after the database")


def run_outage(
    cluster: Cluster, servers: list[Server], mode: str
) -> tuple[ScreeningLoad, float, float]:
    """Screen through ``servers`` while the database stops (``mode``) and starts again;
    the load, when the database was stopping and when both workers were ready again."""
    with ScreeningLoad(servers, clients=4) as load:
        wait_for(load, 10, 0.0)
        stopping = time.monotonic()
        cluster.stop(mode)
        down = time.monotonic()
        for server in servers:
            assert_not_ready(server)
        time.sleep(max(0.0, OUTAGE - (time.monotonic() - down)))
        cluster.start()
        for server in servers:
            wait_until_ready(server)
        recovered = time.monotonic()
        wait_for(load, 10, recovered)
    return load, stopping, recovered


def assert_answered_promptly(outcomes: list[Outcome], stopping: float, recovered: float) -> None:
    """Every request had an answer, 200 or a 503 problem; those sent from the outage on
    within ``PROMPT`` (a new worker's first screenings may take longer)."""
    for outcome in outcomes:
        assert outcome.status is not None, "a worker dropped a connection"
        assert outcome.started < stopping or outcome.seconds < PROMPT, outcome
        if outcome.status != 200:
            assert (outcome.status, outcome.problem) == (503, "database-unavailable"), outcome
            assert outcome.retry_after is not None and int(outcome.retry_after) > 0
    assert any(o.status == 503 for o in outcomes), "no screening saw the outage"
    late = [o for o in outcomes if o.started > recovered]
    assert late and all(o.status == 200 for o in late)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgres_restart_under_load(mode: str, tmp_path: Path) -> None:
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL's binaries are not installed (apt-get install postgresql)")
    with throwaway_cluster(bin_dir) as cluster:
        env = environment(tmp_path / "data", cluster.create_database())
        first = start_server(env, key_name="first")
        second = start_server(env, key_name="second", key=first.key)
        try:
            load, stopping, recovered = run_outage(cluster, [first, second], mode)
            assert first.process.poll() is None and second.process.poll() is None
            assert_answered_promptly(load.outcomes, stopping, recovered)
            assert_recorded(second, load.acknowledged())
        finally:
            first.stop()
            second.stop()
