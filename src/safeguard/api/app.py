"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from safeguard import __version__
from safeguard.api import problems
from safeguard.api.limits import BodySizeLimit
from safeguard.api.metrics import Metrics
from safeguard.api.routers import banks, conversations, health, metrics, review, screening
from safeguard.api.state import AppState
from safeguard.config import Settings
from safeguard.conversations.model import RiskModel
from safeguard.conversations.retention import ExpiredTextEraser
from safeguard.conversations.service import ConversationService
from safeguard.screening.service import Screener
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade

# Multipart framing around the largest accepted upload.
_MULTIPART_OVERHEAD = 64 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            upgrade(settings.database_url)
        db = Database(settings.database_url)
        screener = Screener(
            db, settings.pdq_min_quality, pdq_view_allowance=settings.pdq_view_allowance
        )
        screener.matcher.sync(db)
        model = RiskModel.chosen(settings.conversation_model, settings.conversation_threshold)
        retention = timedelta(hours=settings.message_retention_hours)
        app.state.safeguard = AppState(
            settings,
            db,
            screener,
            Metrics(screener.matcher.size),
            ConversationService(db, model, retention),
        )
        eraser = ExpiredTextEraser(db, retention)
        eraser.start()
        yield
        eraser.stop()
        db.dispose()

    app = FastAPI(
        title="Safeguard",
        version=__version__,
        description=(
            "Screen uploads against hash lists before they are published, and score "
            "conversations for grooming risk."
        ),
        lifespan=lifespan,
    )
    problems.install(app)
    for module in (health, screening, banks, conversations, review, metrics):
        app.include_router(module.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes + _MULTIPART_OVERHEAD)
    return app
