"""Per-key request rates and the request time limit, on a clock and an app of their own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient

from safeguard.api import problems
from safeguard.api.rate_limit import KeyRateLimiter
from safeguard.api.time_limit import RequestTimeLimit
from safeguard.errors import PROBLEM_BASE, RateLimited


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_burst_then_its_rate_and_other_keys_are_untouched() -> None:
    clock = Clock()
    limiter = KeyRateLimiter(per_second=2, burst=3, clock=clock)
    for _ in range(3):
        limiter.admit("platform", "uploads")
    with pytest.raises(RateLimited) as refused:
        limiter.admit("platform", "uploads")
    assert refused.value.status == 429 and refused.value.retry_after == 1
    limiter.admit("platform", "moderation")  # another key of the same client
    limiter.admit("other", "uploads")  # a key of the same name of another client
    clock.now += 0.5  # one request's worth at 2 a second
    limiter.admit("platform", "uploads")
    with pytest.raises(RateLimited):
        limiter.admit("platform", "uploads")
    clock.now += 60  # refills to the burst, never beyond
    for _ in range(3):
        limiter.admit("platform", "uploads")
    with pytest.raises(RateLimited):
        limiter.admit("platform", "uploads")


def test_a_rate_of_zero_admits_everything() -> None:
    limiter = KeyRateLimiter(per_second=0, burst=1)
    for _ in range(1000):
        limiter.admit("platform", "uploads")


def timed_app(seconds: float) -> FastAPI:
    app = FastAPI()
    problems.install(app)
    finished: list[str] = []
    app.state.finished = finished

    @app.get("/fast")
    async def fast() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        await asyncio.sleep(5)
        finished.append("slow")
        return {"ok": True}

    @app.get("/slow-thread")
    def slow_thread() -> dict[str, bool]:
        time.sleep(0.6)
        finished.append("slow-thread")
        return {"ok": True}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first,"
            await asyncio.sleep(0.5)
            yield b"second"

        return StreamingResponse(chunks(), media_type="text/plain")

    app.add_middleware(RequestTimeLimit, seconds=seconds)
    return app


def test_a_request_without_an_answer_in_time_gets_503_with_retry_after() -> None:
    app = timed_app(0.2)
    with TestClient(app) as client:
        assert client.get("/fast").json() == {"ok": True}
        started = time.monotonic()
        late = client.get("/slow")
        assert time.monotonic() - started < 4  # cancelled, not waited for
        assert late.status_code == 503 and late.headers["Retry-After"]
        assert late.headers["content-type"] == "application/problem+json"
        assert late.json()["type"] == PROBLEM_BASE + "request-timeout"
        assert "slow" not in app.state.finished
        # work in a thread runs to its end; its late answer is dropped, not sent twice
        threaded = client.get("/slow-thread")
        assert threaded.status_code == 503
        time.sleep(0.8)
        assert "slow-thread" in app.state.finished
        # a response already streaming is never cut
        streamed = client.get("/stream")
        assert streamed.status_code == 200 and streamed.text == "first,second"


def test_a_limit_of_zero_waits_as_long_as_it_takes() -> None:
    with TestClient(timed_app(0)) as client:
        assert client.get("/slow-thread").json() == {"ok": True}
