"""Per-key request rates over real HTTP: a key over its rate gets 429 problem+json with
Retry-After before any work is done, and other keys are served as before."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.server import create_api_key, environment, start_server


def test_a_key_over_its_rate_is_refused_and_another_key_is_served(tmp_path: Path) -> None:
    env = environment(
        tmp_path / "data",
        f"sqlite:///{tmp_path / 'sg.db'}",
        SAFEGUARD_KEY_REQUESTS_PER_SECOND="1",
        SAFEGUARD_KEY_BURST="3",
    )
    server = start_server(env)
    try:
        other = create_api_key(env["SAFEGUARD_DATABASE_URL"], "other")
        answers = [server.client.get("/v1/banks") for _ in range(6)]
        assert answers[0].status_code == 200
        refused = [a for a in answers if a.status_code == 429]
        assert refused, [a.status_code for a in answers]
        problem = refused[0]
        assert problem.headers["content-type"] == "application/problem+json"
        assert problem.json()["type"].endswith("/rate-limited")
        assert int(problem.headers["Retry-After"]) >= 1
        with httpx.Client(base_url=server.base_url) as client:
            served = client.get("/v1/banks", headers={"Authorization": f"Bearer {other}"})
            assert served.status_code == 200
            # health needs no key and is never limited
            assert all(client.get("/v1/health").status_code == 200 for _ in range(10))
    finally:
        server.stop()
