"""``safeguard user ...``: the people who log in to the moderator UI at /ui/."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from safeguard.cli import context
from safeguard.cli.output import emit
from safeguard.errors import BadRequest
from safeguard.moderation.roles import Role

app = typer.Typer(
    help="Users of the moderator UI (/ui/): viewers read the review queue, moderators will "
    "decide items, admins also manage users.",
    no_args_is_help=True,
)
NameArgument = Annotated[str, typer.Argument(help="The user's name, used to log in.")]


def _read_password() -> str:
    """One line of stdin (without its line ending); from a terminal, asked for without
    echo. Never printed."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password (12 characters or more): ")
    else:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    if not password:
        raise BadRequest("no password given: send it as one line on stdin")
    return password


@app.command("create")
def create(
    name: NameArgument,
    role: Annotated[
        Role,
        typer.Option(help="viewer (reads the queue), moderator, or admin (also manages users)."),
    ],
) -> None:
    """Create a user; the password is read from stdin (one line, 12-1024 characters)."""
    from safeguard.moderation import people

    user = people.create_user(context.database(), name, _read_password(), role, context.ACTOR)
    print(f"created user {user.name} with role {user.role.value}")


@app.command("list")
def list_users() -> None:
    """One JSON object per user: name, role, whether disabled, when created."""
    from safeguard.moderation import people

    for user in people.list_users(context.database()):
        emit(
            {
                "name": user.name,
                "role": user.role.value,
                "disabled": user.disabled,
                "created_at": user.created_at.isoformat(),
            }
        )


@app.command("disable")
def disable(name: NameArgument) -> None:
    """Stop a user from logging in, and end their sessions at once."""
    from safeguard.moderation import people

    people.disable_user(context.database(), name, context.ACTOR)
    print(f"disabled user {name}; their sessions have ended")


@app.command("set-role")
def set_role(
    name: NameArgument,
    role: Annotated[Role, typer.Argument(help="viewer, moderator or admin.")],
) -> None:
    """Change a user's role; it applies to their open sessions at once."""
    from safeguard.moderation import people

    user = people.set_role(context.database(), name, role, context.ACTOR)
    print(f"user {user.name} has role {user.role.value}")
