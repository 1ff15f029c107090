"""Banks and their entries: create, list, delete, add, enable/disable, import and export."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from safeguard.api.state import AppState, app_state, require_client
from safeguard.banks import service
from safeguard.banks.csv_format import export_rows, parse_csv_bytes
from safeguard.banks.models import BankAction, BankKind, BankSpec, NewEntry
from safeguard.errors import Conflict
from safeguard.signals.pdq import DEFAULT_THRESHOLD
from safeguard.store.models import Bank, Entry

router = APIRouter(tags=["banks"], dependencies=[Depends(require_client)])
State = Annotated[AppState, Depends(app_state)]


class BankCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    action: BankAction = BankAction.BLOCK
    kind: BankKind = BankKind.LIST
    pdq_threshold: int = Field(default=DEFAULT_THRESHOLD, ge=0, le=128)


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
    signal_type: str = Field(max_length=32)
    value: str = Field(max_length=512)
    external_id: str | None = Field(default=None, max_length=256)
    labels: list[str] = Field(default_factory=list, max_length=32)
    source: str | None = Field(default=None, max_length=256)


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
    with state.db.session() as session:
        summaries = service.list_banks(session)
        return {"banks": [_bank_out(s.bank, s.entries, s.enabled_entries) for s in summaries]}


@router.post("/v1/banks", status_code=201)
def create_bank(body: BankCreate, state: State) -> BankOut:
    spec = BankSpec(body.name, body.action, body.kind, body.pdq_threshold)
    with state.db.session() as session:
        return _bank_out(service.create_bank(session, spec), 0, 0)


@router.get("/v1/banks/{name}")
def get_bank(name: str, state: State) -> BankOut:
    with state.db.session() as session:
        bank = service.get_bank(session, name)
        summary = next(s for s in service.list_banks(session) if s.bank.id == bank.id)
        return _bank_out(bank, summary.entries, summary.enabled_entries)


@router.delete("/v1/banks/{name}", status_code=204)
def delete_bank(name: str, state: State) -> Response:
    with state.db.session() as session:
        service.delete_bank(session, name)
    return Response(status_code=204)


@router.get("/v1/banks/{name}/entries")
def list_entries(
    name: str,
    state: State,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[int, Query(ge=0)] = 0,
) -> EntryPage:
    with state.db.session() as session:
        bank = service.get_bank(session, name)
        entries = service.list_entries(session, bank, limit=limit, after_id=after)
        next_after = entries[-1].id if len(entries) == limit else None
        return EntryPage(entries=[_entry_out(e, bank) for e in entries], next_after=next_after)


@router.post("/v1/banks/{name}/entries", status_code=201)
def add_entry(name: str, body: EntryCreate, state: State) -> EntryOut:
    entry = NewEntry(
        body.signal_type, body.value, body.external_id, tuple(body.labels), body.source
    )
    with state.db.session() as session:
        bank = service.get_bank(session, name)
        result = service.add_entries(session, bank, [entry])
        if not result.added_ids:
            raise Conflict(f"bank {name!r} already holds this {entry.signal_type} value")
        return _entry_out(service.get_entry(session, bank, result.added_ids[0]), bank)


@router.patch("/v1/banks/{name}/entries/{entry_id}")
def patch_entry(name: str, entry_id: int, body: EntryPatch, state: State) -> EntryOut:
    with state.db.session() as session:
        bank = service.get_bank(session, name)
        return _entry_out(service.set_entry_enabled(session, bank, entry_id, body.enabled), bank)


@router.delete("/v1/banks/{name}/entries/{entry_id}", status_code=204)
def delete_entry(name: str, entry_id: int, state: State) -> Response:
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
    """Import a CSV list ``signal_type,signal_value[,external_id,labels]``; all or nothing."""
    entries = parse_csv_bytes(await request.body())
    with state.db.session() as session:
        bank = service.get_bank(session, name)
        result = service.add_entries(session, bank, entries)
    return ImportResult(added=len(result.added_ids), already_present=result.already_present)


@router.get("/v1/banks/{name}/export", response_class=StreamingResponse)
def export_list(name: str, state: State) -> StreamingResponse:
    """The bank's enabled entries as CSV."""
    with state.db.session() as session:
        bank = service.get_bank(session, name)
        text = "".join(export_rows(service.iter_export_rows(session, bank)))
    return StreamingResponse(
        iter([text]),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{bank.name}.csv"'},
    )
