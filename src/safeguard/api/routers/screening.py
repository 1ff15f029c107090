"""Screening: uploads (multipart or raw body) and hash-only lookups."""

from __future__ import annotations

import time
from functools import partial
from ipaddress import ip_address
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field, IPvAnyAddress
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from safeguard.api.openapi import PROTECTED, problem_responses, upload_body
from safeguard.api.schemas import JobOut, ScreeningOut, ScreeningRecordOut
from safeguard.api.state import AppState, ScreenClient, app_state
from safeguard.api.uploads import decode_upload, observe, screen_decoded
from safeguard.api.validation import Text, check_text
from safeguard.errors import BadRequest, InvalidMultipart
from safeguard.media.content import Content
from safeguard.media.video import VideoContent
from safeguard.screening import jobs
from safeguard.screening.records import get_screening as read_screening
from safeguard.screening.service import Requester
from safeguard.signals.keyword import MAX_TEXT_CHARS

router = APIRouter(tags=["screening"], responses=problem_responses(*PROTECTED))

_UPLOAD_DOC = upload_body(
    {
        "content_id": {"type": "string"},
        "uploader_id": {"type": "string"},
        "uploader_ip": {"type": "string"},
        "uploader_port": {"type": "integer", "minimum": 0, "maximum": 65535},
        "text": {
            "type": "string",
            "maxLength": MAX_TEXT_CHARS,
            "description": "Text posted with the file (or alone, without one): its URLs "
            "and keywords are matched against URL and keyword lists, never recorded.",
        },
        "url": {"type": "string", "description": "A URL posted with the file, or alone."},
    },
    file_required=False,
)


ClientId = Annotated[Text | None, Query(max_length=256)]


class LookupRequest(BaseModel):
    signals: dict[Text, Text] = Field(
        default_factory=dict,
        description="Signal type to value, e.g. {'pdq': '<64 hex>', 'md5': '<32 hex>'}, "
        "{'url': 'https://example.com/page'} or {'keyword': 'a search term'}",
        max_length=8,
    )
    text: Annotated[Text, Field(max_length=MAX_TEXT_CHARS)] | None = Field(
        default=None,
        description="A text (a post, a message): its URLs and keywords are matched "
        "against URL and keyword lists, never recorded.",
    )
    pdq_quality: int | None = Field(
        default=None, ge=0, le=100, description="The quality of the PDQ value, if known."
    )
    qualities: dict[Text, Annotated[int, Field(ge=0, le=100)]] = Field(
        default_factory=dict,
        description="Signal type to the quality of its value, for types that have one.",
        max_length=8,
    )
    content_id: Text | None = Field(default=None, max_length=256)
    uploader_id: Text | None = Field(default=None, max_length=256)


@router.post(
    "/v1/screen",
    response_model=ScreeningOut,
    openapi_extra=_UPLOAD_DOC,
    responses=problem_responses(400, 413, 415)
    | {202: {"model": JobOut, "description": "Accepted: screened in the background."}},
)
async def screen(
    request: Request,
    client: ScreenClient,
    state: Annotated[AppState, Depends(app_state)],
    content_id: ClientId = None,
    uploader_id: ClientId = None,
    uploader_ip: Annotated[IPvAnyAddress | None, Query()] = None,
    uploader_port: Annotated[int | None, Query(ge=0, le=65535)] = None,
) -> ScreeningOut | JSONResponse:
    """Screen one piece of content (an image or a video) before it is published:
    ``block``, ``review`` or ``allow``. The uploader's address and port, and the file's
    name, are kept (encrypted, with the content) only if the content is flagged and an
    evidence vault is configured.

    A video expected to take longer than ``SAFEGUARD_SCREEN_BUDGET_SECONDS`` is answered
    ``202`` with a job to follow at ``GET /v1/jobs/{id}`` (when an evidence vault's keys
    are configured, as the job keeps the upload encrypted until it ends)."""
    started = time.perf_counter()
    file_name = text = url = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await _form(request)
        upload = form.get("file")
        content_id = content_id or _text_field(form.get("content_id"))
        uploader_id = uploader_id or _text_field(form.get("uploader_id"))
        text = _text_field(form.get("text"), MAX_TEXT_CHARS, "text and url")
        url = _text_field(form.get("url"), MAX_TEXT_CHARS, "text and url")
        if not isinstance(upload, UploadFile):
            if text is None and url is None:
                raise BadRequest("a multipart upload needs a 'file' part, or 'text' or 'url'")
            requester = Requester(client, "upload", content_id, uploader_id)
            hashes = {"url": url} if url is not None else {}
            found = await run_in_threadpool(state.screener.lookup, hashes, requester, None, text)
            observe(state, found.decision.value, "upload", started)
            return ScreeningOut.model_validate(found.as_dict())
        data = await upload.read()
        file_name = _file_name(upload.filename)
        uploader_ip = uploader_ip or _address(form.get("uploader_ip"))
        uploader_port = uploader_port if uploader_port is not None else _port(form)
    else:
        data = b"".join([chunk async for chunk in request.stream()])
    content = await decode_upload(state, data)
    requester = Requester(client, "upload", content_id, uploader_id)
    facts = {
        "uploader_ip": str(uploader_ip) if uploader_ip is not None else None,
        "uploader_port": uploader_port,
        "file_name": file_name,
    }
    budget = state.settings.screen_budget_seconds
    if state.keyring is not None and await run_in_threadpool(_over_budget, content, budget):
        if text is not None or url is not None:
            raise BadRequest("send the text or URL of a long video to /v1/lookup")
        job_id = await run_in_threadpool(
            partial(
                jobs.submit,
                state.db,
                state.keyring,
                data=data,
                content_type=content.content_type,
                requester=requester,
                facts=facts,
            )
        )
        accepted = JobOut.model_validate(jobs.get(state.db, job_id, client))
        return JSONResponse(
            accepted.model_dump(mode="json"),
            status_code=202,
            headers={"Location": f"/v1/jobs/{job_id}"},
        )
    result = await screen_decoded(
        state, content, data, requester, facts, started, text=text, url=url
    )
    return ScreeningOut.model_validate(result.as_dict())


@router.get("/v1/jobs/{job_id}", responses=problem_responses(404))
def get_job(
    job_id: Annotated[str, Path(max_length=36)],
    client: ScreenClient,
    state: Annotated[AppState, Depends(app_state)],
) -> JobOut:
    """A screening job of this client: ``queued``, ``running`` (with its progress),
    ``done`` (with the decision, as ``POST /v1/screen`` answers it) or ``failed`` (with
    the problem)."""
    return JobOut.model_validate(jobs.get(state.db, job_id, client))


def _over_budget(content: Content, budget: float) -> bool:
    return isinstance(content, VideoContent) and content.estimated_seconds(budget) > budget


@router.post("/v1/lookup", responses=problem_responses(413))
def lookup(
    body: LookupRequest,
    client: ScreenClient,
    state: Annotated[AppState, Depends(app_state)],
) -> ScreeningOut:
    """Decide on hashes the client computed itself; no content is sent."""
    started = time.perf_counter()
    requester = Requester(client, "lookup", body.content_id, body.uploader_id)
    qualities = dict(body.qualities)
    if body.pdq_quality is not None:
        qualities["pdq"] = body.pdq_quality
    result = state.screener.lookup(body.signals, requester, qualities, body.text)
    observe(state, result.decision.value, "lookup", started)
    return ScreeningOut.model_validate(result.as_dict())


async def _form(request: Request) -> FormData:
    """The multipart form: one file and a few fields, or an ``invalid-multipart`` problem."""
    try:
        return await request.form(max_files=1, max_fields=8)
    except StarletteHTTPException as exc:
        raise InvalidMultipart(str(exc.detail)) from None


def _text_field(
    value: object, limit: int = 256, names: str = "content_id and uploader_id"
) -> str | None:
    """A form field of text without NUL, at most ``limit`` characters (None if absent)."""
    if value is None:
        return None
    message = f"{names} must be text of at most {limit} characters, without NUL"
    if not isinstance(value, str) or len(value) > limit:
        raise BadRequest(message)
    try:
        return check_text(value)
    except ValueError:
        raise BadRequest(message) from None


def _file_name(name: str | None) -> str | None:
    """The uploaded file's name as the platform sent it, at most 256 characters."""
    if not name:
        return None
    try:
        return check_text(name[:256])
    except ValueError:
        raise BadRequest("the file name must be text without NUL") from None


def _address(value: object) -> IPvAnyAddress | None:
    if value is None:
        return None
    try:
        return ip_address(str(value).strip())
    except ValueError:
        raise BadRequest("uploader_ip must be an IPv4 or IPv6 address") from None


def _port(form: FormData) -> int | None:
    value = form.get("uploader_port")
    if value is None:
        return None
    text = str(value).strip()
    if not text.isdigit() or int(text) > 65535:
        raise BadRequest("uploader_port must be a whole number from 0 to 65535")
    return int(text)


@router.get("/v1/screenings/{screening_id}", responses=problem_responses(404))
def get_screening(
    screening_id: Annotated[Text, Path(max_length=64)],
    state: Annotated[AppState, Depends(app_state)],
    client: ScreenClient,
) -> ScreeningRecordOut:
    """The audit record of one of the caller's screenings: time, client, hashes, decision,
    matches. Another client's screening is not found."""
    return ScreeningRecordOut.model_validate(read_screening(state.db, client, screening_id))
