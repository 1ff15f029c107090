"""An item's media for the moderator who opens it: a fresh, small JPEG of the evidence,
never cached (``security.HEADERS``), each view recorded by the vault."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from safeguard.api.state import app_state
from safeguard.errors import Forbidden, NotFound
from safeguard.media.preview import PREVIEW_TYPE, image_preview, video_preview
from safeguard.moderation.media import open_media
from safeguard.web.auth import Staff
from safeguard.web.pages import PageError

router = APIRouter()

_PREVIEWS = {  # an animation shows its first frame, a video a contact sheet
    "image": image_preview,
    "animation": image_preview,
    "video": video_preview,
}


@router.get("/items/{item_id}/media/{evidence_id}")
async def media(request: Request, staff: Staff, item_id: str, evidence_id: str) -> Response:
    """The item's evidence ``evidence_id`` as a preview image."""
    state = app_state(request)
    if state.keyring is None:
        raise PageError(404, "Not found", "The evidence vault is not configured.", staff)
    try:
        content, content_type = await run_in_threadpool(
            open_media, state.db, state.keyring, item_id, evidence_id, staff.user
        )
    except NotFound as exc:
        raise PageError(404, "Not found", exc.detail, staff) from None
    except Forbidden as exc:
        raise PageError(403, "Not allowed", exc.detail, staff) from None
    make = _PREVIEWS.get(content_type)
    if make is None:
        raise PageError(404, "Not found", "This kind of content has no preview yet.", staff)
    preview = await run_in_threadpool(make, content, state.limits)
    return Response(preview, media_type=PREVIEW_TYPE, headers={"Content-Disposition": "inline"})
