"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from safeguard import __version__, web
from safeguard.api import openapi, problems
from safeguard.api.limits import UPLOAD_PATHS, BodySizeLimit
from safeguard.api.routers import (
    accounts,
    banks,
    conversations,
    health,
    metrics,
    reports,
    review,
    screening,
)
from safeguard.api.routers import messages as message_routes
from safeguard.api.routers import transparency as transparency_routes
from safeguard.api.routers import webhooks as webhook_routes
from safeguard.api.state import AppState
from safeguard.config import Settings
from safeguard.conversations.retention import ExpiredTextEraser
from safeguard.reporting.service import start_sender
from safeguard.screening.jobs import JobWorker
from safeguard.webhooks.delivery import RetrySchedule, WebhookWorker

# Multipart framing around the largest accepted upload.
_MULTIPART_OVERHEAD = 64 * 1024


def start_job_worker(state: AppState, settings: Settings) -> JobWorker | None:
    """Screen queued jobs in the background; none without the vault's keys, which no
    job can be queued without."""
    if state.keyring is None:
        return None
    interval = timedelta(seconds=settings.job_interval_seconds)
    lease = timedelta(seconds=max(settings.job_lease_seconds, 3))
    retention = timedelta(days=settings.job_retention_days)
    worker = JobWorker(
        state.db, state.keyring, state.screener, state.limits, interval, lease, retention
    )
    worker.start()
    return worker


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = AppState(settings)
        state.screener.matcher.sync(state.db)
        app.state.safeguard = state
        eraser = ExpiredTextEraser(state.db, state.message_retention)
        eraser.start()
        interval = timedelta(seconds=settings.webhook_interval_seconds)
        webhooks = WebhookWorker(state.db, interval, RetrySchedule.from_settings(settings))
        webhooks.start()
        sender = start_sender(state.db, settings, state.keyring)
        screening_jobs = start_job_worker(state, settings)
        yield
        if screening_jobs is not None:
            screening_jobs.stop()
        sender.stop()
        webhooks.stop()
        eraser.stop()
        state.close()

    app = FastAPI(
        title="Safeguard",
        version=__version__,
        description=(
            "Screen uploads against hash lists before they are published, and score "
            "conversations for grooming risk."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    problems.install(app)
    openapi.install(app)
    for module in (health, screening, banks, conversations, review, reports, metrics):
        app.include_router(module.router)
    app.include_router(webhook_routes.router)
    app.include_router(message_routes.router)  # communication safety
    app.include_router(accounts.router)
    app.include_router(transparency_routes.router)
    web.install(app)  # the moderator UI under /ui
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_upload_bytes + _MULTIPART_OVERHEAD,
        upload_paths=UPLOAD_PATHS,
        upload_bytes=max(settings.max_upload_bytes, settings.max_video_bytes) + _MULTIPART_OVERHEAD,
    )
    return app
