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
    hma,
    metrics,
    platforms,
    reports,
    review,
    screening,
)
from safeguard.api.routers import messages as message_routes
from safeguard.api.routers import transparency as transparency_routes
from safeguard.api.routers import webhooks as webhook_routes
from safeguard.api.state import AppState
from safeguard.api.time_limit import RequestTimeLimit
from safeguard.config import Role, Settings
from safeguard.conversations.retention import ExpiredTextEraser
from safeguard.exchanges.worker import ExchangeFetcher, FeedbackSender
from safeguard.reporting.service import report_sender
from safeguard.screening.jobs import JobWorker
from safeguard.screening.snapshots import SnapshotWriter
from safeguard.webhooks.delivery import RetrySchedule, WebhookWorker
from safeguard.workers import PeriodicWorker

# Multipart framing around the largest accepted upload.
_MULTIPART_OVERHEAD = 64 * 1024


def background_workers(state: AppState, settings: Settings) -> list[PeriodicWorker]:
    """What a process of the ``worker`` role runs beside serving, not yet started:
    erasing expired text, webhooks, exchanges, reports to authorities, screening jobs."""
    workers: list[PeriodicWorker] = [
        ExpiredTextEraser(state.db, state.message_retention),
        WebhookWorker(
            state.db,
            timedelta(seconds=settings.webhook_interval_seconds),
            RetrySchedule.from_settings(settings),
        ),
        ExchangeFetcher(state.db, timedelta(seconds=settings.exchange_interval_seconds)),
        FeedbackSender(state.db, timedelta(seconds=settings.exchange_feedback_interval_seconds)),
    ]
    sender = report_sender(state.db, settings, state.keyring)
    if sender is not None:
        workers.append(sender)
    if state.keyring is not None:  # no job can be queued without the vault's keys
        workers.append(
            JobWorker(
                state.db,
                state.keyring,
                state.screener,
                state.limits,
                timedelta(seconds=settings.job_interval_seconds),
                timedelta(seconds=max(settings.job_lease_seconds, 3)),
                timedelta(days=settings.job_retention_days),
            )
        )
    return workers


def snapshot_writer(state: AppState, settings: Settings) -> SnapshotWriter | None:
    """Writes this process's indexes to snapshots every SAFEGUARD_SNAPSHOT_INTERVAL_SECONDS
    (0: never), not yet started."""
    if settings.snapshot_interval_seconds == 0:
        return None
    interval = timedelta(seconds=settings.snapshot_interval_seconds)
    return SnapshotWriter(state.screener.matcher, state.db, state.snapshots, interval)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = AppState(settings)
        workers: list[PeriodicWorker] = []
        if Role.API in settings.roles:
            state.screener.matcher.sync(state.db)  # ready to match before the first request
            writer = snapshot_writer(state, settings)
            workers += [writer] if writer is not None else []
        if Role.WORKER in settings.roles:
            workers += background_workers(state, settings)
        app.state.safeguard = state
        for worker in workers:
            worker.start()
        yield
        for worker in reversed(workers):
            worker.stop()
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
    app.include_router(health.router)  # every role: liveness and readiness
    if Role.API in settings.roles:
        for module in (screening, banks, conversations, review, reports, metrics):
            app.include_router(module.router)
        app.include_router(webhook_routes.router)
        app.include_router(message_routes.router)  # communication safety
        app.include_router(accounts.router)
        app.include_router(transparency_routes.router)
        app.include_router(platforms.router)  # pict-rs, Matrix, Mastodon
        app.include_router(hma.router)  # HMA-compatible matcher API under /hma
    if Role.UI in settings.roles:
        web.install(app)  # the moderator UI under /ui
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_upload_bytes + _MULTIPART_OVERHEAD,
        upload_paths=UPLOAD_PATHS,
        upload_bytes=max(settings.max_upload_bytes, settings.max_video_bytes) + _MULTIPART_OVERHEAD,
    )
    app.add_middleware(RequestTimeLimit, seconds=settings.request_time_limit_seconds)
    return app
