"""A worker killed (SIGKILL) while clients screen through it: every screening it answered
200 is in the audit log once it is back, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path

from tests.faults.load import ScreeningLoad, assert_recorded
from tests.integration.server import environment, start_server


def test_killed_worker_loses_no_acknowledged_screening(database: str, tmp_path: Path) -> None:
    env = environment(tmp_path / "data", database)
    server = start_server(env)
    with ScreeningLoad([server], clients=6) as load:
        deadline = time.monotonic() + 60
        while len(load.acknowledged()) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.process.kill()
        time.sleep(0.5)  # the clients see the dead worker
    server.stop()
    answered = {o.status for o in load.outcomes}
    assert answered <= {200, None}, answered
    acknowledged = load.acknowledged()
    assert len(acknowledged) >= 20
    restarted = start_server(env, key=server.key)
    try:
        assert_recorded(restarted, acknowledged)
    finally:
        restarted.stop()
