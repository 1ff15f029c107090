"""``safeguard webhook ...``: register, list and disable endpoints; show deliveries."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

import typer

from safeguard.cli import context
from safeguard.cli.output import emit
from safeguard.webhooks.paging import DEFAULT_DELIVERIES, MAX_DELIVERIES

app = typer.Typer(
    help="Webhooks: events of the log POSTed, signed, to the platform's endpoints.",
    no_args_is_help=True,
)


def _record(view: Any) -> dict[str, object]:
    """A view as JSON values (times in ISO 8601)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in asdict(view).items()
    }


@app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="Where events are POSTed (http:// or https://).")],
    events: Annotated[
        list[str],
        typer.Option("--events", help="An event kind to send (repeat it), or '*' for all."),
    ],
) -> None:
    """Register an endpoint; prints its id and its signing secret, shown this once."""
    from safeguard.webhooks import service

    endpoint, secret = service.add_endpoint(context.database(), url, events, context.ACTOR)
    emit(_record(endpoint) | {"secret": secret})


@app.command("list")
def list_endpoints() -> None:
    """One JSON object per endpoint, oldest first (never its secret)."""
    from safeguard.webhooks import service

    for endpoint in service.list_endpoints(context.database()):
        emit(_record(endpoint))


@app.command("disable")
def disable(endpoint_id: Annotated[str, typer.Argument(help="The endpoint's id.")]) -> None:
    """Send nothing more to an endpoint; its pending deliveries fail, its history stays."""
    from safeguard.webhooks import service

    emit(_record(service.disable_endpoint(context.database(), endpoint_id, context.ACTOR)))


@app.command("deliveries")
def deliveries(
    endpoint_id: Annotated[str, typer.Argument(help="The endpoint's id.")],
    limit: Annotated[
        int, typer.Option(help="How many, newest event first.", min=1, max=MAX_DELIVERIES)
    ] = DEFAULT_DELIVERIES,
) -> None:
    """One JSON object per delivery: its event, state, attempts and last answer."""
    from safeguard.webhooks import service

    for delivery in service.deliveries(context.database(), endpoint_id, limit):
        emit(_record(delivery))
