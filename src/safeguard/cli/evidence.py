"""``safeguard evidence ...``: purge expired evidence, make keys for the vault."""

from __future__ import annotations

from typing import Annotated

import typer

from safeguard.cli import context

app = typer.Typer(
    help="The evidence vault: encrypted content kept from blocked and held uploads.",
    no_args_is_help=True,
)


@app.command("purge")
def purge() -> None:
    """Delete evidence past its retention and not under legal hold (rerun daily, e.g. cron)."""
    from safeguard.evidence import vault

    purged = vault.purge(context.database())
    print(f"purged {purged} evidence objects")


@app.command("keygen")
def keygen(
    key_id: Annotated[
        str | None,
        typer.Option("--id", help="The key's id (1-64 of A-Z a-z 0-9 . _ -); default: the time."),
    ] = None,
) -> None:
    """Print a new random key as one KEY_ID:BASE64 line, to append to the key file."""
    from safeguard.evidence import keys

    print(keys.new_key_line(key_id))
