"""The Matrix content scanner API, for Matrix clients and their reverse proxy: media of
``mxc://<server>/<media>`` is fetched from the configured homeserver, screened, and
answered as matrix-content-scanner-python answers (``docs/integration.md``). Like that
scanner, it takes no API key: a client's ``Authorization`` (its Matrix access token) is
passed on to the homeserver only, for authenticated media."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel
from starlette.responses import JSONResponse, Response

from safeguard.api.state import AppState, app_state
from safeguard.api.uploads import screen_bytes
from safeguard.errors import SafeguardError
from safeguard.integrations.fetch import Fetched, FetchFailed, fetch
from safeguard.integrations.matrix import (
    NOT_CLEAN,
    NOT_FOUND,
    REQUEST_FAILED,
    THUMBNAIL_PARAMETERS,
    EncryptedFile,
    MediaPath,
    ScannerError,
    Verdict,
    verdict,
)
from safeguard.screening.service import Requester

PREFIX = "/_matrix/media_proxy/unstable"
_PASSED_ON = ("content-type", "content-disposition")

router = APIRouter(prefix=PREFIX)
State = Annotated[AppState, Depends(app_state)]
ServerName = Annotated[str, Path(max_length=256)]
MediaId = Annotated[str, Path(max_length=256)]


class ScanOut(BaseModel):
    """The scan's result, as the content scanner answers it."""

    clean: bool
    info: str


@router.get("/scan/{server_name}/{media_id}", response_model=ScanOut)
async def scan(
    server_name: ServerName, media_id: MediaId, request: Request, state: State
) -> Response:
    """Fetch the media, screen it and answer `{"clean": bool, "info": str}`."""
    return await _answer_scan(
        lambda: _screen(state, request, MediaPath.parse(server_name, media_id))
    )


@router.get("/download/{server_name}/{media_id}")
async def download(
    server_name: ServerName, media_id: MediaId, request: Request, state: State
) -> Response:
    """The media as the homeserver serves it if clean; else `403` `MCS_MEDIA_NOT_CLEAN`."""
    return await _serve(lambda: _screen(state, request, MediaPath.parse(server_name, media_id)))


@router.get("/thumbnail/{server_name}/{media_id}")
async def thumbnail(
    server_name: ServerName, media_id: MediaId, request: Request, state: State
) -> Response:
    """A thumbnail of the media (the query's `width`, `height`, `method` and `animated`
    are passed on) if clean; else `403` `MCS_MEDIA_NOT_CLEAN`."""
    return await _serve(
        lambda: _screen(state, request, MediaPath.parse(server_name, media_id), thumbnail=True)
    )


@router.post("/scan_encrypted", response_model=ScanOut)
async def scan_encrypted(request: Request, state: State) -> Response:
    """Like `scan`, for an end-to-end encrypted attachment: the body's `file` (the
    event's `EncryptedFile`) says where the ciphertext is and how to decrypt it."""
    return await _answer_scan(lambda: _screen_encrypted(state, request))


@router.post("/download_encrypted")
async def download_encrypted(request: Request, state: State) -> Response:
    """Like `download`, for an end-to-end encrypted attachment: screened decrypted,
    served as the homeserver serves it (encrypted) if clean."""
    return await _serve(lambda: _screen_encrypted(state, request))


Screening = Callable[[], Awaitable[tuple[Verdict, Fetched]]]


async def _answer_scan(screening: Screening) -> Response:
    """The scan's result, or the scanner's error."""
    try:
        result, _ = await screening()
    except ScannerError as error:
        return error.response()
    return JSONResponse(result.as_dict())


async def _serve(screening: Screening) -> Response:
    """The fetched media if clean, with its type and disposition; else the error."""
    try:
        result, fetched = await screening()
        if not result.clean:
            raise ScannerError(403, NOT_CLEAN, result.info)
    except ScannerError as error:
        return error.response()
    headers = {name: fetched.headers[name] for name in _PASSED_ON if name in fetched.headers}
    return Response(fetched.data, headers=headers)


async def _screen_encrypted(state: AppState, request: Request) -> tuple[Verdict, Fetched]:
    encrypted = EncryptedFile.from_body(await request.body())
    return await _screen(state, request, encrypted.media, encrypted=encrypted)


async def _screen(
    state: AppState,
    request: Request,
    media: MediaPath,
    *,
    thumbnail: bool = False,
    encrypted: EncryptedFile | None = None,
) -> tuple[Verdict, Fetched]:
    """Fetch the media (or its thumbnail) from the homeserver and screen it (decrypted
    first if ``encrypted``)."""
    settings = state.settings
    if settings.matrix_homeserver_url is None:
        raise ScannerError(404, NOT_FOUND, "the content scanner is off")
    token = request.headers.get("authorization")
    url = media.url(settings.matrix_homeserver_url, thumbnail=thumbnail, authenticated=bool(token))
    query = {k: v for k, v in request.query_params.items() if k in THUMBNAIL_PARAMETERS}
    try:
        fetched = await fetch(
            url,
            max_bytes=state.limits.largest_bytes,
            seconds=settings.platform_fetch_seconds,
            headers={"Authorization": token} if token else None,
            params=query if thumbnail else None,
        )
    except FetchFailed as exc:
        raise ScannerError(502, REQUEST_FAILED, str(exc)) from None
    if fetched.status == 404:
        raise ScannerError(404, NOT_FOUND, "the homeserver has no such media")
    if fetched.status != 200:
        raise ScannerError(502, REQUEST_FAILED, f"the homeserver answered {fetched.status}")
    data = fetched.data if encrypted is None else encrypted.decrypt(fetched.data)
    requester = Requester(settings.matrix_client, "matrix", content_id=media.mxc)
    try:
        screened = await screen_bytes(
            state, data, requester, {"mxc": media.mxc}, digests_if_unsupported=True
        )
    except SafeguardError as exc:
        if exc.status >= 500:
            raise
        return Verdict(False, f"File could not be screened ({exc.title})"), fetched
    review_is_clean = settings.platform_review == "allow"
    return verdict(screened.decision.value, review_is_clean), fetched
