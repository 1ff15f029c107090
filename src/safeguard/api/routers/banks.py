"""Banks, their content items and entries: create, list, delete, add, enable/disable,
import and export."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, computed_field
from starlette.concurrency import run_in_threadpool

from safeguard.api.openapi import PROTECTED, problem_responses, text_answer
from safeguard.api.state import AppState, BanksClient, app_state, require_scope
from safeguard.api.validation import MAX_INT64, Text
from safeguard.apikeys import Scope
from safeguard.banks import catalog, service
from safeguard.banks.csv_format import spool_file
from safeguard.banks.formats import FormatName, list_format
from safeguard.banks.models import (
    BankAction,
    BankKind,
    BankSpec,
    NewEntry,
    validate_quality,
)
from safeguard.signals.pdq import PDQ

router = APIRouter(
    tags=["banks"],
    dependencies=[Depends(require_scope(Scope.BANKS))],  # reads too: every route needs it
    responses=problem_responses(*PROTECTED),
)
State = Annotated[AppState, Depends(app_state)]
Client = BanksClient  # who made a change, for the event log
EntryId = Annotated[int, Path(ge=1, le=MAX_INT64)]
ItemId = Annotated[int, Path(ge=1, le=MAX_INT64)]
MAX_VALUE_CHARS = 1_000_000
ListFormat = Annotated[
    FormatName, Query(alias="format", description="The list's format (docs/api.md).")
]


class BankCreate(BaseModel):
    name: Text = Field(min_length=1, max_length=128)
    action: BankAction = BankAction.BLOCK
    kind: BankKind = BankKind.LIST
    thresholds: dict[Text, int] = Field(
        default_factory=dict,
        max_length=32,
        description="Match threshold by signal type (e.g. {'pdq': 31}); types left out get "
        "their default. Exact types (md5, sha256) take none.",
    )
    pdq_threshold: int | None = Field(
        default=None,
        ge=0,
        le=PDQ.max_threshold,
        description="The same as thresholds={'pdq': N}; kept for older clients.",
    )

    def spec(self) -> BankSpec:
        thresholds: dict[str, Any] = dict(self.thresholds)
        if self.pdq_threshold is not None:
            thresholds["pdq"] = self.pdq_threshold
        return BankSpec(self.name, self.action, self.kind, thresholds)


class BankOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    action: BankAction
    kind: BankKind
    thresholds: dict[str, int] = Field(description="Match threshold by signal type.")
    created_at: datetime
    entries: int
    enabled_entries: int

    @computed_field(description="thresholds['pdq'], kept for older clients.")  # type: ignore[prop-decorator]
    @property
    def pdq_threshold(self) -> int | None:
        return self.thresholds.get("pdq")


class EntryCreate(BaseModel):
    signal_type: Text = Field(max_length=32)
    value: Text = Field(max_length=MAX_VALUE_CHARS)
    external_id: Text | None = Field(default=None, max_length=256)
    labels: list[Text] = Field(default_factory=list, max_length=32)
    source: Text | None = Field(default=None, max_length=256)
    quality: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="For signal types with a quality (PDQ): the quality of the hashed content.",
    )


class EntryPatch(BaseModel):
    enabled: bool


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    bank: str
    content_item_id: int
    signal_type: str
    value: str
    external_id: str | None
    labels: list[str]
    source: str | None
    enabled: bool
    created_at: datetime


class ItemOut(BaseModel):
    """A known item of a bank and the entries (signal values) of it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    bank: str
    external_id: str | None
    note: str | None
    labels: list[str]
    source: str | None
    enabled: bool
    created_at: datetime
    entries: list[EntryOut]


class EntryPage(BaseModel):
    entries: list[EntryOut]
    next_after: int | None


class ImportResult(BaseModel):
    added: int
    already_present: int


class BankList(BaseModel):
    banks: list[BankOut]


NOT_FOUND = problem_responses(404)


@router.get("/v1/banks")
def list_banks(state: State) -> BankList:
    return BankList(banks=[BankOut.model_validate(b) for b in catalog.list_banks(state.db)])


@router.post("/v1/banks", status_code=201, responses=problem_responses(409, 413))
def create_bank(body: BankCreate, state: State, client: Client) -> BankOut:
    return BankOut.model_validate(catalog.create_bank(state.db, body.spec(), client))


@router.get("/v1/banks/{name}", responses=NOT_FOUND)
def get_bank(name: str, state: State) -> BankOut:
    return BankOut.model_validate(catalog.get_bank(state.db, name))


@router.delete("/v1/banks/{name}", status_code=204, responses=NOT_FOUND)
def delete_bank(name: str, state: State, client: Client) -> Response:
    """Delete a bank: it stops matching at once; its entries are removed in batches."""
    service.delete_bank(state.db, name, actor=client)
    return Response(status_code=204)


@router.get("/v1/banks/{name}/entries", responses=NOT_FOUND)
def list_entries(
    name: str,
    state: State,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[int, Query(ge=0, le=MAX_INT64)] = 0,
) -> EntryPage:
    entries = catalog.list_entries(state.db, name, limit=limit, after_id=after)
    next_after = entries[-1].id if len(entries) == limit else None
    return EntryPage(entries=[EntryOut.model_validate(e) for e in entries], next_after=next_after)


@router.post(
    "/v1/banks/{name}/entries", status_code=201, responses=problem_responses(404, 409, 413)
)
def add_entry(name: str, body: EntryCreate, state: State, client: Client) -> EntryOut:
    entry = NewEntry(
        body.signal_type, body.value, body.external_id, tuple(body.labels), body.source
    )
    validate_quality(entry.signal_type, body.quality, state.settings.pdq_min_quality)
    return EntryOut.model_validate(catalog.add_entry(state.db, name, entry, client))


@router.patch("/v1/banks/{name}/entries/{entry_id}", responses=problem_responses(404, 413))
def patch_entry(
    name: str, entry_id: EntryId, body: EntryPatch, state: State, client: Client
) -> EntryOut:
    return EntryOut.model_validate(
        catalog.set_entry_enabled(state.db, name, entry_id, body.enabled, client)
    )


@router.delete("/v1/banks/{name}/entries/{entry_id}", status_code=204, responses=NOT_FOUND)
def delete_entry(name: str, entry_id: EntryId, state: State, client: Client) -> Response:
    catalog.delete_entry(state.db, name, entry_id, client)
    return Response(status_code=204)


@router.get("/v1/banks/{name}/items/{item_id}", responses=NOT_FOUND)
def get_item(name: str, item_id: ItemId, state: State) -> ItemOut:
    """One content item of the bank and its entries."""
    return ItemOut.model_validate(catalog.get_item(state.db, name, item_id))


@router.patch("/v1/banks/{name}/items/{item_id}", responses=problem_responses(404, 413))
def patch_item(
    name: str, item_id: ItemId, body: EntryPatch, state: State, client: Client
) -> ItemOut:
    """Enable or disable a content item: while disabled, none of its entries matches."""
    return ItemOut.model_validate(
        catalog.set_item_enabled(state.db, name, item_id, body.enabled, client)
    )


@router.post(
    "/v1/banks/{name}/import",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The list in the format named by ``format`` (default CSV).",
            "content": {
                media: {"schema": {"type": "string"}}
                for media in ("text/csv", "text/plain", "application/json", "application/xml")
            },
        }
    },
    responses=problem_responses(404, 413, 422),
)
async def import_list(
    name: str,
    request: Request,
    state: State,
    client: Client,
    form: ListFormat = FormatName.CSV,
) -> ImportResult:
    """Import a list: by default CSV ``signal_type,signal_value[,external_id,labels]``.

    All or nothing: a bad line or record imports nothing (the problem names it); a good
    list is staged out of sight, then published in one transaction.
    """
    with spool_file() as spool:
        async for chunk in request.stream():
            await run_in_threadpool(spool.write, chunk)
        spool.seek(0)
        result = await run_in_threadpool(
            partial(service.import_list, actor=client, format_name=form), state.db, name, spool
        )
    return ImportResult(added=result.added, already_present=result.already_present)


@router.get(
    "/v1/banks/{name}/export",
    response_class=StreamingResponse,
    responses=text_answer("text/csv") | problem_responses(404, 422),
)
def export_list(name: str, state: State, form: ListFormat = FormatName.CSV) -> StreamingResponse:
    """The bank's enabled entries, streamed: by default as CSV."""
    chosen = list_format(form)
    return StreamingResponse(
        service.export_list(state.db, name, form),
        media_type=chosen.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}{chosen.suffix}"'},
    )
