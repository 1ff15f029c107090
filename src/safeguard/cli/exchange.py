"""``safeguard exchange ...``: configure hash-list exchanges, fetch them, show their state."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from safeguard.cli import context
from safeguard.cli.output import emit
from safeguard.errors import BadRequest

if TYPE_CHECKING:
    from safeguard.exchanges.runner import FetchResult
    from safeguard.exchanges.service import ExchangeView

app = typer.Typer(
    help="Hash-list exchanges (NCMEC, an HMA peer, local files) fetched into banks.",
    no_args_is_help=True,
)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The exchange's own name.")],
    adapter: Annotated[str, typer.Option(help="local_file, ncmec, hma, or a plug-in's.")],
    bank: Annotated[str, typer.Option(help="The bank it fetches into (must exist).")],
    setting: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="KEY=VALUE, repeatable (docs/exchanges.md); VALUE is read as JSON when it "
            "is JSON. Credentials never: name their environment variables (*_env).",
        ),
    ] = None,
) -> None:
    """Configure an exchange (fetched by `exchange fetch` and by the service)."""
    from safeguard.exchanges import service

    config = dict(_setting(text) for text in setting or [])
    view = service.add_exchange(context.database(), name, adapter, bank, config)
    print(f"added exchange {view.name} ({view.adapter}) into bank {view.bank}")


@app.command("set")
def configure(
    name: Annotated[str, typer.Argument(help="The exchange.")],
    setting: Annotated[
        list[str],
        typer.Option("--set", help="KEY=VALUE, repeatable, as for `exchange add`."),
    ],
) -> None:
    """Change some of an exchange's settings (the others are kept)."""
    from safeguard.exchanges import service

    changes = dict(_setting(text) for text in setting)
    view = service.configure_exchange(context.database(), name, changes)
    print(f"changed exchange {view.name}: {', '.join(sorted(changes))}")


@app.command("fetch")
def fetch(
    name: Annotated[str | None, typer.Argument(help="One exchange (default: all).")] = None,
) -> None:
    """Fetch from the checkpoint, one JSON object per exchange; exit 1 if one failed."""
    from safeguard.exchanges import service

    db = context.database()
    results = [service.fetch(db, name)] if name else service.fetch_all(db)
    for result in results:
        emit(_result(result))
    if any(result.error for result in results):
        raise typer.Exit(1)


@app.command("status")
def status(
    name: Annotated[str | None, typer.Argument(help="One exchange (default: all).")] = None,
) -> None:
    """Each exchange's settings, state, checkpoint, latest fetches and feedback sent,
    pending and failed, as JSON lines."""
    from safeguard.exchanges import service

    db = context.database()
    views = [service.get_exchange(db, name)] if name else service.list_exchanges(db)
    for view in views:
        emit(_view(view))


@app.command("retry-feedback")
def retry_feedback(
    name: Annotated[str, typer.Argument(help="The exchange.")],
) -> None:
    """Queue an exchange's failed feedback again (once its settings are corrected)."""
    from safeguard.exchanges import service

    count = service.retry_feedback(context.database(), name)
    print(f"queued {count} failed feedback of exchange {name} again")


def _setting(text: str) -> tuple[str, Any]:
    key, equals, raw = text.partition("=")
    if not equals or not key.strip():
        raise BadRequest(f"--set takes KEY=VALUE, not {text!r}")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


def _result(result: FetchResult) -> dict[str, object]:
    return {
        "exchange": result.exchange,
        "pages": result.pages,
        "added": result.counts.added,
        "updated": result.counts.updated,
        "removed": result.counts.removed,
        "skipped": result.counts.skipped,
        "error": result.error,
    }


def _view(view: ExchangeView) -> dict[str, object]:
    def when(moment: Any) -> str | None:
        return moment.isoformat() if moment is not None else None

    return {
        "name": view.name,
        "adapter": view.adapter,
        "bank": view.bank,
        "config": view.config,
        "state": view.state,
        "fetching": view.fetching,
        "checkpoint": view.checkpoint,
        "last_error": view.last_error,
        "last_fetch_at": when(view.last_fetch_at),
        "last_success_at": when(view.last_success_at),
        "fetches": [
            {
                "started_at": when(f.started_at),
                "finished_at": when(f.finished_at),
                "pages": f.pages,
                "added": f.added,
                "updated": f.updated,
                "removed": f.removed,
                "skipped": f.skipped,
                "error": f.error,
            }
            for f in view.fetches
        ],
        "feedback": None
        if view.feedback is None
        else {
            "sent": view.feedback.sent,
            "pending": view.feedback.pending,
            "failed": view.feedback.failed,
        },
    }
