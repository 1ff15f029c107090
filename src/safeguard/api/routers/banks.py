"""Banks and their entries: create, list, delete, add, enable/disable, import and export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from safeguard.api.state import AppState, app_state, require_client
from safeguard.api.validation import MAX_INT64, Text
from safeguard.banks import service
from safeguard.banks.csv_format import spool_file
from safeguard.banks.models import (
    BankAction,
    BankKind,
    BankSpec,
    NewEntry,
    validate_pdq_quality,
)
from safeguard.errors import Conflict
from safeguard.signals.pdq import DEFAULT_THRESHOLD, MAX_THRESHOLD
from safeguard.store.models import Bank, Entry

router = APIRouter(tags=["banks"], dependencies=[Depends(require_client)])
State = Annotated[AppState, Depends(app_state)]
EntryId = Annotated[int, Path(ge=1, le=MAX_INT64)]


class BankCreate(BaseModel):
    name: Text = Field(min_length=1, max_length=128)
    action: BankAction = BankAction.BLOCK
    kind: BankKind = BankKind.LIST
    pdq_threshold: int = Field(default=DEFAULT_THRESHOLD, ge=0, le=MAX_THRESHOLD)


class BankOut(BaseModel):
    id: str
    name: str
    action: BankAction
    kind: BankKind
    pdq_threshold: int
    created_at: datetime
    entries: int | None = None
    enabled_entries: int | None = None


class EntryCreate(BaseModel):
    signal_type: Text = Field(max_length=32)
    value: Text = Field(max_length=512)
    external_id: Text | None = Field(default=None, max_length=256)
    labels: list[Text] = Field(default_factory=list, max_length=32)
    source: Text | None = Field(default=None, max_length=256)
    quality: int | None = Field(
        default=None, ge=0, le=100, description="PDQ only: the quality of the hashed image."
    )


class EntryPatch(BaseModel):
    enabled: bool


class EntryOut(BaseModel):
    id: int
    bank: str
    signal_type: str
    value: str
    external_id: str | None
    labels: list[str]
    source: str | None
    enabled: bool
    created_at: datetime


class EntryPage(BaseModel):
    entries: list[EntryOut]
    next_after: int | None


class ImportResult(BaseModel):
    added: int
    already_present: int


def _bank_out(bank: Bank, entries: int | None = None, enabled: int | None = None) -> BankOut:
    return BankOut(
        id=bank.id,
        name=bank.name,
        action=BankAction(bank.action),
        kind=BankKind(bank.kind),
        pdq_threshold=bank.pdq_threshold,
        created_at=bank.created_at,
        entries=entries,
        enabled_entries=enabled,
    )


def _entry_out(entry: Entry, bank: Bank) -> EntryOut:
    return EntryOut(
        id=entry.id,
        bank=bank.name,
        signal_type=entry.signal_type,
        value=entry.value,
        external_id=entry.external_id,
        labels=list(entry.labels),
        source=entry.source,
        enabled=entry.enabled,
        created_at=entry.created_at,
    )


@router.get("/v1/banks")
def list_banks(state: State) -> dict[str, list[BankOut]]:
    with state.db.read_session() as session:
        summaries = service.list_banks(session)
        return {"banks": [_bank_out(s.bank, s.entries, s.enabled_entries) for s in summaries]}


@router.post("/v1/banks", status_code=201)
def create_bank(body: BankCreate, state: State) -> BankOut:
    spec = BankSpec(body.name, body.action, body.kind, body.pdq_threshold)
    with state.db.session() as session:
        return _bank_out(service.create_bank(session, spec), 0, 0)


@router.get("/v1/banks/{name}")
def get_bank(name: str, state: State) -> BankOut:
    with state.db.read_session() as session:
        bank = service.get_bank(session, name)
        summary = next(s for s in service.list_banks(session) if s.bank.id == bank.id)
        return _bank_out(bank, summary.entries, summary.enabled_entries)


@router.delete("/v1/banks/{name}", status_code=204)
def delete_bank(name: str, state: State) -> Response:
    """Delete a bank: it stops matching at once; its entries are removed in batches."""
    service.delete_bank(state.db, name)
    return Response(status_code=204)


@router.get("/v1/banks/{name}/entries")
def list_entries(
    name: str,
    state: State,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[int, Query(ge=0, le=MAX_INT64)] = 0,
) -> EntryPage:
    with state.db.read_session() as session:
        bank = service.get_bank(session, name)
        entries = service.list_entries(session, bank, limit=limit, after_id=after)
        next_after = entries[-1].id if len(entries) == limit else None
        return EntryPage(entries=[_entry_out(e, bank) for e in entries], next_after=next_after)


@router.post("/v1/banks/{name}/entries", status_code=201)
def add_entry(name: str, body: EntryCreate, state: State) -> EntryOut:
    entry = NewEntry(
        body.signal_type, body.value, body.external_id, tuple(body.labels), body.source
    )
    validate_pdq_quality(entry.signal_type, body.quality, state.settings.pdq_min_quality)
    with state.db.session() as session:
        bank = service.get_bank(session, name)
        result = service.add_entries(session, bank, [entry])
        if not result.added_ids:
            raise Conflict(f"bank {name!r} already holds this {entry.signal_type} value")
        return _entry_out(service.get_entry(session, bank, result.added_ids[0]), bank)


@router.patch("/v1/banks/{name}/entries/{entry_id}")
def patch_entry(name: str, entry_id: EntryId, body: EntryPatch, state: State) -> EntryOut:
    with state.db.session() as session:
        bank = service.get_bank(session, name)
        return _entry_out(service.set_entry_enabled(session, bank, entry_id, body.enabled), bank)


@router.delete("/v1/banks/{name}/entries/{entry_id}", status_code=204)
def delete_entry(name: str, entry_id: EntryId, state: State) -> Response:
    with state.db.session() as session:
        bank = service.get_bank(session, name)
        service.delete_entry(session, bank, entry_id)
    return Response(status_code=204)


@router.post(
    "/v1/banks/{name}/import",
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def import_list(name: str, request: Request, state: State) -> ImportResult:
    """Import a CSV list ``signal_type,signal_value[,external_id,labels]``.

    A bad row imports nothing (the problem names its line); a good list is added in
    batches, and importing it again after a failure adds the rest.
    """
    with spool_file() as spool:
        async for chunk in request.stream():
            await run_in_threadpool(spool.write, chunk)
        spool.seek(0)
        result = await run_in_threadpool(service.import_list, state.db, name, spool)
    return ImportResult(added=result.added, already_present=result.already_present)


@router.get("/v1/banks/{name}/export", response_class=StreamingResponse)
def export_list(name: str, state: State) -> StreamingResponse:
    """The bank's enabled entries as CSV, streamed."""
    return StreamingResponse(
        service.export_list(state.db, name),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
