"""Unexpected errors become problems without re-raising, and log no request content."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError, OperationalError

from safeguard.api import problems

SECRET = "words-a-user-wrote"


def app_raising(error: Exception) -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.get("/boom")
    def boom() -> None:
        raise error

    return app


def get(app: FastAPI) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/boom")

    return asyncio.run(call())


def test_a_bug_is_a_500_problem_and_its_message_stays_out_of_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="safeguard.api")
    response = get(app_raising(RuntimeError(SECRET)))
    assert response.status_code == 500
    assert response.headers["content-type"] == problems.MEDIA_TYPE
    assert response.json()["type"].endswith("/internal-error")
    assert "RuntimeError" in caplog.text
    assert SECRET not in caplog.text and SECRET not in response.text


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (OperationalError("SELECT 1", {"text": SECRET}, Exception("server closed")), 503),
        (IntegrityError("INSERT", {"text": SECRET}, Exception("duplicate key")), 500),
    ],
)
def test_database_errors(error: Exception, status: int, caplog: pytest.LogCaptureFixture) -> None:
    """An unavailable database is a 503 to retry later; any other database error a 500."""
    caplog.set_level(logging.WARNING, logger="safeguard.api")
    response = get(app_raising(error))
    assert response.status_code == status
    if status == 503:
        assert response.json()["type"].endswith("/database-unavailable")
        assert int(response.headers["retry-after"]) > 0
    assert SECRET not in caplog.text
