"""Videos screened as jobs by a real server, on SQLite and PostgreSQL: a video over the
budget is answered 202 with a job; the service killed at once and started again, the job
completes with the same answer as the same upload screened without a crash."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import httpx

from tests.integration.server import Server, environment, start_server
from tests.videos import excerpt, video

KEY = "k1:" + base64.b64encode(bytes(range(1, 33))).decode()


def _upload(server: Server, data: bytes) -> httpx.Response:
    return server.client.post("/v1/screen", files={"file": ("clip.mp4", data, "video/mp4")})


def _finished(server: Server, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = server.client.get(f"/v1/jobs/{job_id}")
        assert job.status_code == 200, job.text
        body: dict[str, Any] = job.json()
        if body["status"] in ("done", "failed"):
            return body
        assert body["status"] in ("queued", "running") and 0 <= body["progress"] <= 1
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish")


def _answer(result: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    return result["decision"], result["matches"]


def test_a_job_survives_a_killed_service(database_url: str, tmp_path: Path) -> None:
    env = environment(
        tmp_path / "data",
        database_url,
        SAFEGUARD_EVIDENCE_KEYS=KEY,
        SAFEGUARD_SCREEN_BUDGET_SECONDS="0",
        SAFEGUARD_JOB_LEASE_SECONDS="3",
        SAFEGUARD_JOB_INTERVAL_SECONDS="1",
    )
    original = video(seed=41, seconds=14)
    folder = tmp_path / "data"
    folder.mkdir(parents=True)
    (folder / "original.mp4").write_bytes(original)
    clip = excerpt(original, start=4, seconds=8)

    first = start_server(env)
    first.cli.ok("bank", "create", "videos", "--action", "block")
    first.cli.ok("bank", "add", "videos", str(folder / "original.mp4"))
    accepted = _upload(first, clip)
    first.process.kill()  # no shutdown: the job is queued, or a worker was on it
    first.process.wait(timeout=15)
    first.client.close()
    assert accepted.status_code == 202, accepted.text
    job = accepted.json()
    assert accepted.headers["location"] == f"/v1/jobs/{job['job_id']}"
    assert job["status"] == "queued" and job["result"] is None

    second = start_server(env, key=first.key)
    try:
        done = _finished(second, job["job_id"])
        assert done["status"] == "done" and done["error"] is None, done
        assert 1 <= done["attempts"] <= 2
        again = _upload(second, clip)
        assert again.status_code == 202
        twin = _finished(second, again.json()["job_id"])
        assert twin["attempts"] == 1
        assert _answer(done["result"]) == _answer(twin["result"])
        decision, matches = _answer(done["result"])
        assert decision == "block" and matches[0]["video"]["clip_seconds"] >= 6
        assert second.client.get("/v1/jobs/not-a-job").status_code == 404
    finally:
        second.stop()
