"""An HMA-compatible matcher API under ``/hma``, so that tools built for Meta's HMA
(OpenMediaMatch), such as ROOST's Coop, can use Safeguard as their matcher: point them at
``http://host/hma`` (``docs/hma-compatible-api.md``).

The routes keep HMA's paths, parameters and answers (``api/hma_compat.py``) and are backed
by Safeguard's banks and screener: every lookup is decided and audited as ``POST
/v1/lookup`` is, with the source ``hma``. Errors are answered in HMA's ``{"message"}``
shape, not as problem+json, because HMA clients read that shape.

A key is needed as for every other route (``banks`` scope under ``/c/``, ``screen`` under
``/m/`` and ``/h/``), as a bearer token; HMA clients such as Coop send no headers, so the
same routes are also served under ``/hma/key/<key>/``, the key in the base URL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from safeguard.api.hma_compat import (
    DISABLED,
    ENABLED,
    FULL_RATIO,
    BankConfig,
    BankContent,
    BankCreate,
    BankUpdate,
    ContentAdded,
    ContentMetadata,
    ContentPage,
    ContentUpdate,
    Deleted,
    HmaRoute,
    MatchWithDistance,
    Message,
    RawLookupAnswer,
    bank_names,
    by_bank,
    by_signal_type,
    check_full_ratio,
    compare_pair,
    error_responses,
)
from safeguard.api.openapi import problem_responses
from safeguard.api.state import AppState, admitted_caller, app_state, bearer, require_caller
from safeguard.api.uploads import observe, screen_bytes
from safeguard.api.validation import MAX_INT64
from safeguard.apikeys import Caller, Scope
from safeguard.banks import catalog, service
from safeguard.banks.catalog import ItemView
from safeguard.banks.models import BankSpec, NewEntry, entries_of
from safeguard.errors import BadRequest, Conflict, Forbidden, InvalidMultipart, NotFound
from safeguard.media.decode import DecodeLimits
from safeguard.screening.service import Requester, ScreeningResult
from safeguard.screening.signals import ContentSignals, content_signals
from safeguard.signals.registry import signal_types

routes = APIRouter(route_class=HmaRoute)
"""The routes, mounted twice by ``router``: under ``/hma`` and ``/hma/key/<key>``."""


def _caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """Who sent the key: in the path under ``/hma/key/<key>/`` (for HMA clients, which
    send no headers), else as a bearer token like every other route."""
    key = request.path_params.get("api_key")
    if key is None:
        return require_caller(request, credentials)
    return admitted_caller(request, key)


def _client_with(scope: Scope) -> Callable[[Caller], str]:
    def require(caller: Annotated[Caller, Depends(_caller)]) -> str:
        if not caller.allows(scope):
            raise Forbidden(f"this API key lacks the {scope.value!r} scope")
        return caller.client

    return require


BanksClient = Annotated[str, Depends(_client_with(Scope.BANKS))]
ScreenClient = Annotated[str, Depends(_client_with(Scope.SCREEN))]
State = Annotated[AppState, Depends(app_state)]
ContentId = Annotated[int, Path(ge=1, le=MAX_INT64)]
MAX_SIGNAL_CHARS = 8_000
"""A signal in a query string: the whole request line must stay under the HTTP server's
16 KiB, or the connection is reset before Safeguard can answer."""
Signal = Annotated[str, Query(max_length=MAX_SIGNAL_CHARS)]
Banks = Annotated[str | None, Query(max_length=4096, description="Comma-separated bank names.")]
Url = Annotated[str | None, Query(max_length=4096, description="Refused: no URL is fetched.")]
SOURCE = "hma"
"""The source of screenings made here, and of entries added here."""
EXPORT_PAGE = 1000  # content items per export page, at most
CONTENT_FIELDS = ("photo", "video")
"""HMA's content type names: the form field an upload is sent in."""
_UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "description": "One file, in the field named after its content type.",
                    "properties": {
                        name: {"type": "string", "format": "binary"} for name in CONTENT_FIELDS
                    }
                    | {"metadata": {"type": "string", "description": "JSON: {content_id}"}},
                }
            }
        },
    }
}


# Curation: banks and their content (HMA's blueprints/curation.py).


@routes.get("/c/banks")
def list_banks(state: State, client: BanksClient) -> list[BankConfig]:
    return [_config(bank.name) for bank in catalog.list_banks(state.db)]


@routes.get("/c/bank/{bank_name}", responses=error_responses(400, 404))
def get_bank(bank_name: str, state: State, client: BanksClient) -> BankConfig:
    return _config(catalog.get_bank(state.db, bank_name).name)


@routes.post("/c/banks", status_code=201, responses=error_responses(400))
def create_bank(body: BankCreate, state: State, client: BanksClient) -> BankConfig:
    """A block list with the default thresholds (``POST /v1/banks`` sets others)."""
    check_full_ratio(body.enabled_ratio, body.enabled)
    return _config(catalog.create_bank(state.db, BankSpec(body.name), client).name)


@routes.put("/c/bank/{bank_name}", responses=error_responses(400, 404))
def update_bank(bank_name: str, body: BankUpdate, state: State, client: BanksClient) -> BankConfig:
    """Nothing to change but to confirm full matching: renaming is not supported."""
    name = catalog.get_bank(state.db, bank_name).name
    if body.name is not None and body.name != name:
        raise BadRequest("Safeguard does not rename banks: create a new bank instead")
    check_full_ratio(body.enabled_ratio, body.enabled)
    return _config(name)


@routes.delete("/c/bank/{bank_name}", responses=error_responses(400))
def delete_bank(bank_name: str, state: State, client: BanksClient) -> Message:
    """Delete a bank; as in HMA, a bank that does not exist is no error."""
    with suppress(NotFound):
        service.delete_bank(state.db, bank_name, actor=client)
    return Message(message="Done")


@routes.post("/c/bank/{bank_name}/signal", responses=error_responses(400, 404))
def add_signals(
    bank_name: str,
    body: Annotated[dict[str, str], Body(max_length=16)],
    state: State,
    client: BanksClient,
) -> ContentAdded:
    """One content item holding the given ``{signal_type: value}`` (a ``note`` is
    ignored)."""
    hashes = {name: value for name, value in body.items() if name != "note"}
    entries = [NewEntry(n, v, source=SOURCE, item_key=SOURCE) for n, v in hashes.items()]
    return _add(state, bank_name, entries, client)


@routes.post(
    "/c/bank/{bank_name}/content",
    openapi_extra=_UPLOAD_DOC,
    responses=error_responses(400, 404, 413, 415),
)
async def add_content(
    bank_name: str,
    request: Request,
    state: State,
    client: BanksClient,
    url: Url = None,
) -> ContentAdded:
    """One content item holding the uploaded file's own hashes; ``metadata``'s
    ``content_id`` becomes its external id."""
    _refuse_url(url)
    await run_in_threadpool(catalog.get_bank, state.db, bank_name)
    form = await _form(request)
    data = await _file(form)
    limits = DecodeLimits.from_settings(state.settings, banking=True)  # a video: every frame
    signals = await run_in_threadpool(content_signals, data, limits, views=False)
    entries, _ = entries_of(
        signals, source=SOURCE, item_key=SOURCE, min_quality=state.settings.pdq_min_quality
    )
    external_id = _content_id(form)
    entries = [replace(e, external_id=external_id) for e in entries]
    return await run_in_threadpool(_add, state, bank_name, entries, client)


@routes.get(
    "/c/bank/{bank_name}/content/{content_id}",
    response_model_exclude_unset=True,
    responses=error_responses(400, 404),
)
def get_content(
    bank_name: str,
    content_id: ContentId,
    state: State,
    client: BanksClient,
    include_signals: bool = False,
    include_metadata: bool = True,
) -> BankContent:
    item = catalog.get_item(state.db, bank_name, content_id)
    return _content(item, include_signals, include_metadata)


@routes.get("/c/bank/{bank_name}/export", responses=error_responses(400, 404))
def export_content(
    bank_name: str,
    state: State,
    client: BanksClient,
    after: Annotated[int, Query(ge=0, le=MAX_INT64)] = 0,
    limit: Annotated[int, Query(ge=1, le=EXPORT_PAGE)] = EXPORT_PAGE,
) -> ContentPage:
    """The bank's content in id order after ``after``, with the values that match: what
    a peer Safeguard's ``hma`` exchange reads (not in upstream HMA, which serves one item
    at a time)."""
    items = catalog.list_items(state.db, bank_name, limit=limit, after_id=after)
    page = []
    for item in items:
        shown = _content(item, False, True)
        shown.signals = _signals(replace(item, entries=tuple(e for e in item.entries if e.enabled)))
        page.append(shown)
    return ContentPage(content=page, next_after=items[-1].id if len(items) == limit else None)


@routes.put(
    "/c/bank/{bank_name}/content/{content_id}",
    response_model_exclude_unset=True,
    responses=error_responses(400, 404),
)
def update_content(
    bank_name: str, content_id: ContentId, body: ContentUpdate, state: State, client: BanksClient
) -> BankContent:
    """Enable (``disable_until_ts`` 1) or disable (0) a content item."""
    if body.disable_until_ts is None:
        item = catalog.get_item(state.db, bank_name, content_id)
    elif body.disable_until_ts in (ENABLED, DISABLED):
        enable = body.disable_until_ts == ENABLED
        item = catalog.set_item_enabled(state.db, bank_name, content_id, enable, client)
    else:
        raise BadRequest("Safeguard cannot disable content until a time: send 0 or 1")
    return _content(item, True, True)


@routes.delete("/c/bank/{bank_name}/content/{content_id}", responses=error_responses(400, 404))
def delete_content(
    bank_name: str, content_id: ContentId, state: State, client: BanksClient
) -> Deleted:
    """Delete a content item (its entries one by one; run it again if it fails midway)."""
    catalog.get_bank(state.db, bank_name)
    try:
        item = catalog.get_item(state.db, bank_name, content_id)
    except NotFound:
        return Deleted(deleted=0)
    for entry in item.entries:
        catalog.delete_entry(state.db, bank_name, entry.id, client)
    return Deleted(deleted=1)


# Matching (HMA's blueprints/matching.py).


@routes.get("/m/raw_lookup", responses=error_responses(400))
def raw_lookup(
    state: State,
    client: ScreenClient,
    signal: Signal,
    signal_type: Annotated[str, Query(max_length=32)],
    banks: Banks = None,
    include_distance: bool = False,
) -> RawLookupAnswer:
    """The content ids matching a hash (with their distances if asked)."""
    grouped = by_bank(_lookup(state, client, signal_type, signal).matches, bank_names(banks))
    found = [match for matches in grouped.values() for match in matches]
    if include_distance:
        return RawLookupAnswer(matches=found)
    return RawLookupAnswer(matches=[match.bank_content_id for match in found])


@routes.get("/m/lookup", responses=error_responses(400))
def lookup(
    state: State,
    client: ScreenClient,
    signal: Annotated[str | None, Query(max_length=MAX_SIGNAL_CHARS)] = None,
    signal_type: Annotated[str | None, Query(max_length=32)] = None,
    banks: Banks = None,
    url: Url = None,
) -> dict[str, list[MatchWithDistance]]:
    """A hash's matches by bank."""
    _refuse_url(url)
    if not signal or not signal_type:
        raise BadRequest("Either url or both signal and signal_type are required")
    return by_bank(_lookup(state, client, signal_type, signal).matches, bank_names(banks))


@routes.post("/m/lookup", openapi_extra=_UPLOAD_DOC, responses=error_responses(400, 413, 415))
async def lookup_upload(
    request: Request,
    state: State,
    client: ScreenClient,
    banks: Banks = None,
) -> dict[str, dict[str, list[MatchWithDistance]]]:
    """An uploaded file's matches by signal type, then by bank, screened as ``POST
    /v1/screen`` screens it (with the views that undo edits; kept as evidence if flagged)."""
    data = await _file(await _form(request))
    result = await screen_bytes(state, data, Requester(client, SOURCE), {"platform": "hma"})
    hashed = [name for name, value in result.signals.items() if name in signal_types() and value]
    return by_signal_type(result.matches, hashed, bank_names(banks))


@routes.post("/m/compare", responses=error_responses(400))
def compare(
    body: Annotated[dict[str, list[str]], Body(max_length=16)], client: ScreenClient
) -> dict[str, tuple[bool, dict[str, int]]]:
    """``{signal_type: [a, b]}`` to ``{signal_type: [match, {"distance": d}]}``."""
    return {name: compare_pair(name, pair) for name, pair in body.items()}


# Hashing (HMA's blueprints/hashing.py).


@routes.post("/h/hash", openapi_extra=_UPLOAD_DOC, responses=error_responses(400, 413, 415))
async def hash_upload(request: Request, state: State, client: ScreenClient) -> dict[str, str]:
    """The uploaded file's own value of each signal type."""
    data = await _file(await _form(request))
    signals = await run_in_threadpool(content_signals, data, state.limits, views=False)
    return _own_values(signals)


@routes.get("/h/hash", responses=error_responses(400))
def hash_url(url: Annotated[str, Query(max_length=4096)], client: ScreenClient) -> dict[str, str]:
    """Not served: Safeguard never fetches URLs (upload the file with ``POST``)."""
    raise BadRequest(_NO_URLS)


def _lookup(state: AppState, client: str, signal_type: str, signal: str) -> ScreeningResult:
    started = time.perf_counter()
    result = state.screener.lookup({signal_type: signal}, Requester(client, SOURCE))
    observe(state, result.decision.value, SOURCE, started)
    return result


def _add(state: AppState, bank_name: str, entries: list[NewEntry], client: str) -> ContentAdded:
    """Add entries as one content item; HMA's answer for it."""
    if not entries:
        raise BadRequest("No signals given")
    result = catalog.add_entries(state.db, bank_name, entries, client)
    if not result.added_ids:
        raise Conflict(f"bank {bank_name!r} already holds these signals")
    first = result.added_ids[0]
    [entry] = catalog.list_entries(state.db, bank_name, limit=1, after_id=first - 1)
    item = catalog.get_item(state.db, bank_name, entry.content_item_id)
    return ContentAdded(id=item.id, signals=_signals(item))


def _config(name: str) -> BankConfig:
    return BankConfig(name=name, matching_enabled_ratio=FULL_RATIO)


def _content(item: ItemView, include_signals: bool, include_metadata: bool) -> BankContent:
    """HMA's content answer; ``signals`` and ``metadata`` only when asked for and held."""
    shown = BankContent(
        id=item.id,
        disable_until_ts=ENABLED if item.enabled else DISABLED,
        original_media_uri=None,
        bank=_config(item.bank),
    )
    if include_signals:
        shown.signals = _signals(item)
    if include_metadata and item.external_id is not None:
        shown.metadata = ContentMetadata(content_id=item.external_id)
    return shown


def _signals(item: ItemView) -> dict[str, str]:
    """A content item's value of each signal type (the first, if it holds several)."""
    signals: dict[str, str] = {}
    for entry in item.entries:
        signals.setdefault(entry.signal_type, entry.value)
    return signals


def _own_values(signals: ContentSignals) -> dict[str, str]:
    own = {name: signals.own(name) for name in signals.values}
    return {name: value.value for name, value in own.items() if value is not None}


_NO_URLS = "Safeguard does not fetch URLs: upload the file as multipart/form-data"


def _refuse_url(url: str | None) -> None:
    if url is not None:
        raise BadRequest(_NO_URLS)


async def _form(request: Request) -> FormData:
    try:
        return await request.form(max_files=1, max_fields=8)
    except StarletteHTTPException as exc:
        raise InvalidMultipart(str(exc.detail)) from None


async def _file(form: FormData) -> bytes:
    """The one uploaded file, sent in a field named after its content type."""
    uploads = [(name, part) for name, part in form.multi_items() if isinstance(part, UploadFile)]
    if not uploads:
        raise BadRequest("Missing multipart/form-data file upload")
    [(name, upload)] = uploads
    if name not in CONTENT_FIELDS:
        raise BadRequest(f"no such content_type: {name!r} (use {' or '.join(CONTENT_FIELDS)})")
    return await upload.read()


def _content_id(form: FormData) -> str | None:
    """``content_id`` of the ``metadata`` form field (a JSON object), if any."""
    raw = form.get("metadata")
    if raw is None:
        return None
    try:
        metadata: Any = json.loads(str(raw))
    except ValueError:
        raise BadRequest("metadata form field must be valid JSON") from None
    if not isinstance(metadata, dict):
        raise BadRequest("metadata should be a json object")
    content_id = metadata.get("content_id")
    return None if content_id is None else str(content_id)


router = APIRouter(
    prefix="/hma",
    tags=["hma"],
    # The database being unavailable is answered by the app, as a problem.
    responses=error_responses(401, 403, 422) | problem_responses(503),
)
router.include_router(routes)
router.include_router(routes, prefix="/key/{api_key}", include_in_schema=False)
