"""Routes of the platform plug-ins (``docs/integration.md``): pict-rs external validation,
the Matrix content scanner API and Mastodon's admin webhooks. Each is off, answering 404,
until its settings are given."""

from __future__ import annotations

from fastapi import APIRouter

from safeguard.api.routers.platforms.mastodon import router as mastodon_router
from safeguard.api.routers.platforms.matrix import router as matrix_router
from safeguard.api.routers.platforms.pictrs import router as pictrs_router

router = APIRouter(tags=["platforms"])
for _router in (pictrs_router, matrix_router, mastodon_router):
    router.include_router(_router)
