"""``safeguard accounts ...``: users' ages, age assurance, connections, settings, policy."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from safeguard.accounts.bands import AgeBand, AssuranceMethod, Outcome
from safeguard.accounts.policy import Question, Setting
from safeguard.cli import context
from safeguard.cli.output import emit
from safeguard.errors import BadRequest

if TYPE_CHECKING:
    from safeguard.accounts.service import AccountService

app = typer.Typer(
    help="Children's accounts: age bands from evidence, child-safety defaults, policy answers.",
    no_args_is_help=True,
)

ClientOption = Annotated[
    str, typer.Option("--client", help="The client (platform) whose users these are.")
]
LocaleOption = Annotated[
    str | None, typer.Option("--locale", help="The child's locale for prompts (e.g. en-GB).")
]


class Switch(StrEnum):
    ON = "on"
    OFF = "off"


def _service() -> AccountService:
    return context.services().accounts


def _json(value: Any) -> Any:
    """A view as JSON values (times in ISO 8601)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json(item) for item in value]
    return value


def _date(raw: str | None, name: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a date as YYYY-MM-DD, got {raw!r}") from None


def _time(raw: str | None) -> datetime:
    if raw is None:
        return datetime.now(UTC)
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"--at must be an ISO 8601 time, got {raw!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@app.command("declare")
def declare(
    user_id: Annotated[str, typer.Argument(help="The platform's id of the user.")],
    client: ClientOption,
    age: Annotated[int | None, typer.Option(help="The age the user declared.")] = None,
    birth_date: Annotated[
        str | None, typer.Option(help="The birth date the user gave (YYYY-MM-DD).")
    ] = None,
    parent: Annotated[
        str | None, typer.Option(help="A linked parent's user id ('' unlinks).")
    ] = None,
) -> None:
    """Register a user, or update what they declared; prints the account."""
    from safeguard.accounts.service import Declaration

    declaration = Declaration(age, _date(birth_date, "--birth-date"), parent)
    emit(_json(asdict(_service().declare(client, user_id, declaration))))


@app.command("assure")
def assure(
    user_id: Annotated[str, typer.Argument(help="The platform's id of the user.")],
    client: ClientOption,
    provider: Annotated[str, typer.Option(help="Who checked the age.")],
    method: Annotated[AssuranceMethod, typer.Option(help="How the age was checked.")],
    band: Annotated[AgeBand, typer.Option(help="The age band found.")],
    confidence: Annotated[float, typer.Option(help="The provider's confidence, 0 to 1.")] = 1.0,
    at: Annotated[str | None, typer.Option(help="When (ISO 8601; default now).")] = None,
) -> None:
    """Record an age-assurance outcome; prints the account."""
    outcome = Outcome(provider, method, band, confidence, _time(at))
    emit(_json(asdict(_service().record_outcome(client, user_id, outcome))))


@app.command("show")
def show(
    user_id: Annotated[str, typer.Argument(help="The platform's id of the user.")],
    client: ClientOption,
) -> None:
    """A user's band, the evidence behind it, and their settings."""
    emit(_json(asdict(_service().get(client, user_id))))


@app.command("connect")
def connect(
    first: Annotated[str, typer.Argument(help="One user.")],
    second: Annotated[str, typer.Argument(help="The other user.")],
    client: ClientOption,
    undo: Annotated[bool, typer.Option("--undo", help="Disconnect them instead.")] = False,
) -> None:
    """Record that two users are connected (or, with --undo, no longer)."""
    _service().connect(client, first, second, connected=not undo)
    emit({"first": first, "second": second, "connected": not undo})


@app.command("set")
def set_default(
    user_id: Annotated[str, typer.Argument(help="The platform's id of the user.")],
    setting: Annotated[Setting, typer.Argument(help="The child-safety default.")],
    switch: Annotated[Switch, typer.Argument(help="on turns the default off; off restores it.")],
    client: ClientOption,
    by: Annotated[str, typer.Option("--by", help="Who asks: the user or their linked parent.")],
    locale: LocaleOption = None,
) -> None:
    """Turn a setting on where the policy allows (prints the prompt to show), or off."""
    account, prompt = _service().change_setting(
        client, user_id, setting, switch is Switch.ON, by, locale
    )
    emit(_json({"account": asdict(account), "prompt": prompt}))


@app.command("may")
def may(
    question: Annotated[Question, typer.Argument(help="message, suggest, location or profile.")],
    actor: Annotated[str, typer.Argument(help="The user who would act.")],
    subject: Annotated[str, typer.Argument(help="The user it is about.")],
    client: ClientOption,
    locale: LocaleOption = None,
) -> None:
    """May ACTOR message SUBJECT, see them suggested, see their location, view their
    profile? Prints the answer with its reason."""
    emit(_json(asdict(_service().ask(client, question, actor, subject, locale))))


@app.command("add-provider")
def add_provider(
    name: Annotated[str, typer.Argument(help="The provider's name.")],
    client: ClientOption,
) -> None:
    """Register an age-assurance provider; prints its id and signing secret (once)."""
    provider, secret = _service().add_provider(client, name)
    emit(_json(asdict(provider)) | {"secret": secret})
