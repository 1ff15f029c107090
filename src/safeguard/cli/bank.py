"""``safeguard bank ...``: manage banks and their entries."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Annotated

import typer

from safeguard.banks.formats import FormatName
from safeguard.banks.kinds import BankAction, BankKind
from safeguard.cli import context
from safeguard.cli.files import file_signals, walk
from safeguard.cli.output import emit, progress, warn
from safeguard.errors import BadRequest
from safeguard.signals.pdq_thresholds import MAX_THRESHOLD
from safeguard.store.limits import MAX_INT64

app = typer.Typer(help="Create, fill and inspect banks of known hashes.", no_args_is_help=True)
EntryId = Annotated[int, typer.Argument(min=1, max=MAX_INT64, help="The entry's id.")]
ListFormatOption = Annotated[FormatName, typer.Option("--format", help="The list's format.")]


@app.command("create")
def create(
    name: str,
    action: Annotated[BankAction, typer.Option(help="What a match does.")] = BankAction.BLOCK,
    kind: Annotated[
        BankKind, typer.Option(help="safelist: matches cancel others.")
    ] = BankKind.LIST,
    pdq_threshold: Annotated[
        int | None,
        typer.Option(
            help="Largest PDQ distance that matches (the same as --threshold pdq=N).",
            min=0,
            max=MAX_THRESHOLD,
        ),
    ] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(help="TYPE=N: largest distance that matches, by signal type (repeatable)."),
    ] = None,
) -> None:
    """Create a bank."""
    from safeguard.banks import catalog
    from safeguard.banks.models import BankSpec

    thresholds = dict(_threshold(text) for text in threshold or [])
    if pdq_threshold is not None:
        thresholds["pdq"] = pdq_threshold
    spec = BankSpec(name, action, kind, thresholds)
    bank = catalog.create_bank(context.database(), spec, context.ACTOR)
    shown = ", ".join(f"{kind} threshold {value}" for kind, value in bank.thresholds.items())
    print(
        f"created bank {bank.name} (action {bank.action.value}, kind {bank.kind.value}"
        + (f", {shown})" if shown else ")")
    )


def _threshold(text: str) -> tuple[str, int]:
    kind, _, value = text.partition("=")
    if not value.strip().isdigit():
        raise BadRequest(f"--threshold takes TYPE=N (e.g. pdq=31), not {text!r}")
    return kind.strip(), int(value)


@app.command("add")
def add(
    name: str,
    paths: Annotated[list[Path], typer.Argument(help="Image or video files, or directories.")],
) -> None:
    """Hash files into a bank: each file becomes one content item with a value of every
    signal type that hashes it (MD5, SHA-256 and PDQ of images; MD5, SHA-256 and vPDQ of
    videos, every frame unless SAFEGUARD_VPDQ_BANK_SECONDS_PER_HASH says otherwise)."""
    from safeguard.banks import catalog
    from safeguard.banks.models import NewEntry, entries_of

    catalog.get_bank(context.database(), name)
    min_quality = context.settings().pdq_min_quality
    entries: list[NewEntry] = []
    files = list(walk(paths))
    with progress(files, "hashing") as items:
        for path in items:
            signals = file_signals(path, context.bank_limits(), views=False)
            found, too_poor = entries_of(
                signals, source="bank add", item_key=str(path), min_quality=min_quality
            )
            entries += found
            for kind, value in too_poor:
                warn(
                    f"{path}: {kind} quality {value.quality} is below {min_quality}; "
                    f"its {kind} value was not added"
                )
    result = catalog.add_entries(context.database(), name, entries, context.ACTOR)
    print(
        f"added {len(result.added_ids)} entries from {len(files)} files "
        f"({result.already_present} already present)"
    )


@app.command("import")
def import_list(
    name: str,
    file: Annotated[Path, typer.Argument(help="The list, or - for standard input.")],
    list_format: ListFormatOption = FormatName.CSV,
) -> None:
    """Import a list. CSV (the default): signal_type,signal_value[,external_id,labels],
    or one video's vPDQ hash file (frame,quality,pdq,timestamp lines, as the reference
    writes them). The other formats are in docs/operations.md ("List formats").

    All or nothing: a bad line or record imports nothing; a good list is staged out of
    sight, then published in one transaction. After a failure, import it again.
    """
    from safeguard.banks import service

    with _seekable_list(file) as source:
        result = service.import_list(
            context.database(), name, source, actor=context.ACTOR, format_name=list_format
        )
    print(f"imported {result.added} entries ({result.already_present} already present)")


@app.command("export")
def export(name: str, list_format: ListFormatOption = FormatName.CSV) -> None:
    """Write a bank's enabled entries to standard output (CSV unless --format says)."""
    from safeguard.banks import service

    for text in service.export_list(context.database(), name, list_format):
        sys.stdout.write(text)


@app.command("list")
def list_banks() -> None:
    """One JSON object per bank."""
    from safeguard.banks import catalog

    for bank in catalog.list_banks(context.database()):
        emit(
            {
                "name": bank.name,
                "action": bank.action.value,
                "kind": bank.kind.value,
                "thresholds": bank.thresholds,
                "entries": bank.entries,
                "enabled_entries": bank.enabled_entries,
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
    from safeguard.banks import service

    service.delete_bank(context.database(), name, actor=context.ACTOR)
    print(f"deleted bank {name}")


@contextmanager
def _seekable_list(file: Path) -> Iterator[IO[bytes]]:
    """The list in ``file`` (- for standard input); one from a pipe is spooled first, as
    an import reads the list twice."""
    from safeguard.banks.csv_format import spool_file

    with ExitStack() as stack:
        try:
            source = sys.stdin.buffer if str(file) == "-" else stack.enter_context(file.open("rb"))
        except OSError as exc:
            raise BadRequest(f"cannot read {file}: {exc.strerror}") from None
        if not source.seekable():
            spool = stack.enter_context(spool_file())
            shutil.copyfileobj(source, spool)
            spool.seek(0)
            source = spool
        yield source


def _set_enabled(name: str, entry_id: int, enabled: bool) -> None:
    from safeguard.banks import catalog

    catalog.set_entry_enabled(context.database(), name, entry_id, enabled, context.ACTOR)
    print(f"entry {entry_id} of bank {name} {'enabled' if enabled else 'disabled'}")


@app.command("disable")
def disable(name: str, entry_id: EntryId) -> None:
    """Stop one entry from matching (it stays in the bank)."""
    _set_enabled(name, entry_id, False)


@app.command("enable")
def enable(name: str, entry_id: EntryId) -> None:
    """Let a disabled entry match again."""
    _set_enabled(name, entry_id, True)
