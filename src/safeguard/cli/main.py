"""``safeguard``: hash, scan, manage banks, API keys and UI users, migrate, serve.

Bad input prints one line to stderr and exits 2; an internal failure exits 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from safeguard.cli import accounts, bank, context, conversations, evidence, users
from safeguard.cli import exchange as exchange_cli
from safeguard.cli import transparency as transparency_cli
from safeguard.cli import webhooks as webhook_cli
from safeguard.cli.backfill import backfill
from safeguard.cli.communication_safety import communication_safety
from safeguard.cli.files import file_signals, walk
from safeguard.cli.output import FormatOption, OutputFormat, emit, progress_by_part, warn
from safeguard.errors import BadRequest, SafeguardError
from safeguard.scopes import DEFAULT_SCOPES, Scope

if TYPE_CHECKING:
    from safeguard.screening.signals import ContentSignals

# Heavy modules (the services, SQLAlchemy, numpy, numba, PIL, ...) are imported in the
# commands that use them, so that --help and the other commands start fast.

app = typer.Typer(
    help="Safeguard: screen content against hash lists before it is published.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(accounts.app, name="accounts")
app.add_typer(bank.app, name="bank")
app.add_typer(conversations.app, name="conversations")
app.add_typer(evidence.app, name="evidence")
app.add_typer(exchange_cli.app, name="exchange")
app.add_typer(users.app, name="user")
app.add_typer(webhook_cli.app, name="webhook")
app.add_typer(transparency_cli.app, name="transparency")
app.command("communication-safety")(communication_safety)
app.command("backfill")(backfill)
apikey_app = typer.Typer(
    help="API keys: each acts for a client (platform), which owns its records.",
    no_args_is_help=True,
)
app.add_typer(apikey_app, name="apikey")
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


PathsArgument = Annotated[list[Path], typer.Argument(help="Files or directories (walked).")]


def _each_image(
    paths: list[Path], label: str, *, views: bool
) -> Iterator[tuple[Path, ContentSignals]]:
    """(path, signals) of every readable image or video; one stderr line per bad file,
    then exit 2. A video shows its own progress bar while it is decoded.

    With ``views``, the signals hold the PDQ hash of every query view, as screening needs.
    """
    failed = 0
    files = list(walk(paths))
    with progress_by_part(files, label) as items:
        for path, on_progress in items:
            try:
                signals = file_signals(path, context.limits(), views=views, on_progress=on_progress)
            except SafeguardError as exc:
                warn(f"{path}: {exc.detail}")
                failed += 1
                continue
            yield path, signals
    if failed:
        raise typer.Exit(2)


@app.command("hash")
def hash_files(paths: PathsArgument, output_format: FormatOption = OutputFormat.JSONL) -> None:
    """Print MD5, SHA-256 and PDQ of each image (MD5, SHA-256 and vPDQ of each video),
    one JSON object per file."""
    for path, signals in _each_image(paths, "hashing", views=False):
        emit({"path": str(path)} | signals.as_dict())


@app.command("scan")
def scan(
    paths: PathsArgument,
    output_format: FormatOption = OutputFormat.JSONL,
    banks: Annotated[
        list[str] | None, typer.Option("--bank", help="Match only these banks (repeatable).")
    ] = None,
) -> None:
    """Decide block / review / allow for each image or video, one JSON object per file."""
    from safeguard.banks import catalog
    from safeguard.screening.service import Requester

    services = context.services()
    for name in banks or []:
        catalog.get_bank(services.db, name)
    screener = services.screener
    for path, signals in _each_image(paths, "scanning", views=True):
        result = screener.screen(signals, Requester("cli", "scan", str(path)), banks)
        emit(
            {
                "path": str(path),
                "decision": result.decision.value,
                "matches": [m.as_dict() for m in result.matches],
            }
        )


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind.", min=1, max=65535)] = None,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes serving on the port (each holds its own index); the "
            "database is migrated once before they start.",
            min=1,
            max=64,
        ),
    ] = 1,
) -> None:
    """Run the HTTP API with uvicorn."""
    import uvicorn

    settings = context.settings()
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": "info",
        "access_log": False,
    }
    if workers == 1:
        from safeguard.api.app import create_app

        uvicorn.run(create_app(settings), **options)
        return
    if settings.auto_migrate:
        from safeguard.store.migrate import upgrade

        upgrade(settings.database_url)
        os.environ["SAFEGUARD_AUTO_MIGRATE"] = "false"  # the workers need not race to it
    uvicorn.run("safeguard.api.app:create_app", factory=True, workers=workers, **options)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations (Alembic) to the configured database."""
    from safeguard.store.migrate import upgrade

    upgrade(context.settings().database_url)
    print("database is at the latest schema")


@db_app.command("backup")
def db_backup(
    target: Annotated[Path, typer.Argument(help="The backup file to write.", dir_okay=False)],
) -> None:
    """Write a consistent copy of the database (the evidence vault's encrypted content
    included; never its keys) while the service runs."""
    from safeguard.store.backup import backup

    backup(context.settings().database_url, target)
    print(f"backed up to {target}")


@db_app.command("restore")
def db_restore(
    source: Annotated[Path, typer.Argument(help="A file made by 'safeguard db backup'.")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the database's content.")] = False,
) -> None:
    """Replace the database's content by a backup (stop the service first)."""
    from safeguard.store.backup import restore

    if not yes:
        raise BadRequest("restore replaces everything in the database: add --yes")
    restore(context.settings().database_url, source)
    print(f"restored from {source}")


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Argument(help="The key's own name (to list and revoke it).")],
    client: Annotated[
        str | None,
        typer.Option(
            help="The client (platform) the key acts for, created if new; default: NAME. "
            "Give a client's existing name to rotate its key."
        ),
    ] = None,
    scope: Annotated[
        list[Scope] | None,
        typer.Option(
            help="What the key may do, repeatable: screen (screening, lookups, "
            "conversations, review items), banks (the hash lists), admin (keys, users, "
            "settings). Default: screen only."
        ),
    ] = None,
) -> None:
    """Create an API key for a client; the key is printed once, as the last line."""
    from safeguard import apikeys

    scopes = apikeys.validate_scopes(scope or DEFAULT_SCOPES)
    key = apikeys.create_key(context.database(), name, context.ACTOR, client, scopes)
    print(
        f"created API key {name} for client {client or name} with scopes "
        f"{', '.join(scopes)}; store it now, it is not shown again:"
    )
    print(key)


@apikey_app.command("list")
def apikey_list() -> None:
    """One JSON object per key: its name, its client, its state and its scopes (never the
    key itself)."""
    from safeguard import apikeys

    for record in apikeys.list_keys(context.database()):
        emit(
            {
                "name": record.name,
                "client": record.client,
                "created_at": record.created_at.isoformat(),
                "revoked": record.revoked,
                "scopes": [scope.value for scope in record.scopes],
            }
        )


@apikey_app.command("revoke")
def apikey_revoke(name: str) -> None:
    """Revoke one key at once, by its name; the client's other keys keep working."""
    from safeguard import apikeys

    apikeys.revoke_key(context.database(), name, context.ACTOR)
    print(f"revoked API key {name}")


@app.command("demo")
def demo() -> None:
    """Create the demo bank from the shipped sample images, and a demo API key."""
    from safeguard.demo import setup

    for line in setup(context.database(), context.settings()):
        print(line)


def main() -> None:
    """Entry point: one-line errors, exit 2 for bad input and 1 for internal failures."""
    command = typer.main.get_command(app)
    try:
        status = command.main(prog_name="safeguard", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        warn("aborted")
        sys.exit(1)
    except typer.TyperException as exc:  # usage errors: unknown command, bad option value
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        warn(f"error: {_one_line(message)}")
        sys.exit(2)
    except SafeguardError as exc:
        warn(f"error: {_one_line(exc.detail)}")
        sys.exit(2 if exc.status < 500 else 1)
    except Exception as exc:  # an internal failure: say what kind, never the content
        warn(f"internal error: {type(exc).__name__}: {_one_line(str(exc))}")
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]
