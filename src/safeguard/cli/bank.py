"""``safeguard bank ...``: manage banks and their entries."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Annotated

import typer

from safeguard.banks import service
from safeguard.banks.csv_format import export_rows, parse_csv, parse_csv_bytes
from safeguard.banks.models import BankAction, BankKind, BankSpec, NewEntry
from safeguard.cli import context
from safeguard.cli.files import file_signals, walk
from safeguard.cli.output import emit, progress, warn
from safeguard.errors import BadRequest
from safeguard.signals import MD5, PDQ, SHA256
from safeguard.signals.pdq import DEFAULT_THRESHOLD

app = typer.Typer(help="Create, fill and inspect banks of known hashes.", no_args_is_help=True)


@app.command("create")
def create(
    name: str,
    action: Annotated[BankAction, typer.Option(help="What a match does.")] = BankAction.BLOCK,
    kind: Annotated[
        BankKind, typer.Option(help="safelist: matches cancel others.")
    ] = BankKind.LIST,
    pdq_threshold: Annotated[
        int, typer.Option(help="Largest PDQ distance that matches.", min=0, max=128)
    ] = DEFAULT_THRESHOLD,
) -> None:
    """Create a bank."""
    spec = BankSpec(name, action, kind, pdq_threshold)
    with context.database().session() as session:
        bank = service.create_bank(session, spec)
    print(
        f"created bank {bank.name} (action {bank.action}, kind {bank.kind}, "
        f"pdq threshold {bank.pdq_threshold})"
    )


@app.command("add")
def add(
    name: str,
    paths: Annotated[list[Path], typer.Argument(help="Image files or directories.")],
) -> None:
    """Hash files (MD5, SHA-256, PDQ) into a bank."""
    with context.database().session() as session:
        service.get_bank(session, name)
    min_quality = context.settings().pdq_min_quality
    entries: list[NewEntry] = []
    files = list(walk(paths))
    with progress(files, "hashing") as items:
        for path in items:
            signals = file_signals(path, context.limits(), views=False)
            entries.append(NewEntry(MD5.name, signals.md5, source="bank add"))
            entries.append(NewEntry(SHA256.name, signals.sha256, source="bank add"))
            if signals.pdq is not None and signals.pdq.quality >= min_quality:
                entries.append(NewEntry(PDQ.name, signals.pdq.hex, source="bank add"))
            elif signals.pdq is not None:
                warn(
                    f"{path}: PDQ quality {signals.pdq.quality} is below {min_quality}; "
                    "only its exact hashes were added"
                )
    with context.database().session() as session:
        result = service.add_entries(session, service.get_bank(session, name), entries)
    print(
        f"added {len(result.added_ids)} entries from {len(files)} files "
        f"({result.already_present} already present)"
    )


@app.command("import")
def import_list(
    name: str,
    file: Annotated[Path, typer.Argument(help="CSV list, or - for standard input.")],
) -> None:
    """Import a CSV list: signal_type,signal_value[,external_id,labels]. All or nothing."""
    if str(file) == "-":
        entries = parse_csv(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline=""))
    else:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise BadRequest(f"cannot read {file}: {exc.strerror}") from None
        entries = parse_csv_bytes(data)
    with context.database().session() as session:
        result = service.add_entries(session, service.get_bank(session, name), entries)
    print(f"imported {len(result.added_ids)} entries ({result.already_present} already present)")


@app.command("export")
def export(name: str) -> None:
    """Write a bank's enabled entries as CSV to standard output."""
    with context.database().session() as session:
        bank = service.get_bank(session, name)
        for line in export_rows(service.iter_export_rows(session, bank)):
            sys.stdout.write(line)


@app.command("list")
def list_banks() -> None:
    """One JSON object per bank."""
    with context.database().session() as session:
        for summary in service.list_banks(session):
            bank = summary.bank
            emit(
                {
                    "name": bank.name,
                    "action": bank.action,
                    "kind": bank.kind,
                    "pdq_threshold": bank.pdq_threshold,
                    "entries": summary.entries,
                    "enabled_entries": summary.enabled_entries,
                }
            )


@app.command("delete")
def delete(
    name: str,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm the deletion.")] = False,
) -> None:
    """Delete a bank and all its entries."""
    if not yes:
        raise BadRequest("deleting a bank removes all its entries; add --yes to confirm")
    with context.database().session() as session:
        service.delete_bank(session, name)
    print(f"deleted bank {name}")


def _set_enabled(name: str, entry_id: int, enabled: bool) -> None:
    with context.database().session() as session:
        bank = service.get_bank(session, name)
        service.set_entry_enabled(session, bank, entry_id, enabled)
    print(f"entry {entry_id} of bank {name} {'enabled' if enabled else 'disabled'}")


@app.command("disable")
def disable(name: str, entry_id: int) -> None:
    """Stop one entry from matching (it stays in the bank)."""
    _set_enabled(name, entry_id, False)


@app.command("enable")
def enable(name: str, entry_id: int) -> None:
    """Let a disabled entry match again."""
    _set_enabled(name, entry_id, True)
