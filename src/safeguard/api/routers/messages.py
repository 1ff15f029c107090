"""Communication safety: blur or show an image sent to or by a child's account.

Nothing is kept: the upload is held in memory only (a multipart body is never spooled to
a temporary file), scored and dropped. No record, event or log line names it, and a
blurred image is never reported; the platform gets the answer, nothing else.
"""

from __future__ import annotations

import re
import sys
from contextlib import aclosing
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from safeguard.api.openapi import PROTECTED, Problem, problem_responses, upload_body
from safeguard.api.problems import MEDIA_TYPE
from safeguard.api.schemas import Out, PromptOut
from safeguard.api.state import AppState, ScreenClient, app_state
from safeguard.communication_safety.classifier import ClassifierNotInstalled
from safeguard.communication_safety.decision import Action
from safeguard.communication_safety.service import Direction
from safeguard.errors import BadRequest, InvalidMultipart

router = APIRouter(tags=["communication safety"], responses=problem_responses(*PROTECTED))

LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")
"""A BCP 47 language tag such as ``en-GB`` or ``pt-BR``."""

_NOT_INSTALLED: dict[int | str, dict[str, Any]] = {
    ClassifierNotInstalled.status: {
        "description": (
            "The nudity classifier is not installed: pip install 'safeguard-child-safety[nudity]'"
        ),
        "content": {MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{Problem.__name__}"}}},
    }
}

_UPLOAD_DOC = upload_body(
    {
        "direction": {"type": "string", "enum": ["received", "sent"]},
        "locale": {"type": "string", "pattern": LOCALE.pattern},
    }
)


class ImageOptions(BaseModel):
    """Who the image is for, and the language of the prompt."""

    direction: Direction = Field(
        default="received",
        description="'received': the child's account received the image; 'sent': the "
        "child is sending it. Chooses the prompt.",
    )
    locale: str | None = Field(
        default=None,
        max_length=35,
        pattern=LOCALE.pattern,
        description="The child's locale (e.g. 'en-US'); the configured default when absent.",
    )


class ImageCheckOut(Out):
    """Whether the child's app should blur the image, and why."""

    action: Action
    scores: dict[str, float] = Field(
        description="The classifier's scores (0 to 1) by label, highest first; labels it "
        "did not find are absent."
    )
    classifier: str = Field(description="The classifier that scored the image.")
    prompt: PromptOut | None = Field(
        default=None, description="On 'blur' only: the warning and help resources to show."
    )


class _InMemoryParser(MultiPartParser):
    """Starlette's multipart parser, holding the file in memory (the body is capped)."""

    spool_max_size = sys.maxsize


@router.post(
    "/v1/messages/images",
    openapi_extra=_UPLOAD_DOC,
    responses=problem_responses(400, 413, 415) | _NOT_INSTALLED,
)
async def check_image(
    request: Request,
    client: ScreenClient,
    state: Annotated[AppState, Depends(app_state)],
    options: Annotated[ImageOptions, Query()],
) -> ImageCheckOut:
    """Blur or show an image sent to or by a child's account. ``blur`` comes with a
    warning and help resources for the child; it is never reported, and nothing is
    stored. The upload is a multipart ``file`` part (with optional ``direction`` and
    ``locale`` fields) or the raw body (with them as query parameters)."""
    safety = state.communication_safety
    await run_in_threadpool(safety.classifier.load)
    data, options = await _upload(request, options)
    verdict = await run_in_threadpool(safety.classify, data)
    answer = ImageCheckOut.model_validate(verdict.as_dict())
    if verdict.action is Action.BLUR:
        prompt = safety.prompt(options.direction, options.locale)
        answer.prompt = PromptOut.model_validate(prompt.as_dict())
    return answer


async def _upload(request: Request, options: ImageOptions) -> tuple[bytes, ImageOptions]:
    """The uploaded bytes, and the options with a multipart body's fields applied."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return b"".join([chunk async for chunk in request.stream()]), options
    form = await _form(request)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadRequest("a multipart upload needs a 'file' part")
        fields = {name: form[name] for name in ImageOptions.model_fields if name in form}
        try:
            chosen = ImageOptions.model_validate(options.model_dump(exclude_unset=True) | fields)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        return await upload.read(), chosen
    finally:
        await form.close()


async def _form(request: Request) -> FormData:
    """The multipart form, in memory: one file and a few fields, or ``invalid-multipart``."""
    try:
        async with aclosing(request.stream()) as stream:
            parser = _InMemoryParser(request.headers, stream, max_files=1, max_fields=4)
            return await parser.parse()
    except MultiPartException as exc:
        raise InvalidMultipart(exc.message) from None
