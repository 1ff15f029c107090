"""Accounts, age assurance and child-safety policy answers, for the platform's backend."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from safeguard.accounts.bands import AgeBand, AssuranceMethod, Outcome
from safeguard.accounts.policy import Question, Setting
from safeguard.accounts.service import MAX_AGE, MAX_USER_ID, Declaration
from safeguard.api.openapi import PROTECTED, problem_responses
from safeguard.api.schemas import IsoDateTime, Out, PromptOut
from safeguard.api.state import AdminClient, AppState, ScreenClient, app_state
from safeguard.api.validation import Text, UtcDateTime
from safeguard.errors import ContentTooLarge
from safeguard.webhooks.signing import SIGNATURE_HEADER

router = APIRouter(tags=["accounts"])

UserId = Annotated[Text, Path(min_length=1, max_length=MAX_USER_ID)]
State = Annotated[AppState, Depends(app_state)]
Locale = Annotated[
    Text | None,
    Query(max_length=35, description="The child's locale for prompts (BCP 47, e.g. en-GB)."),
]
_PROTECTED = problem_responses(*PROTECTED, 400)
MAX_CALLBACK_BYTES = 16 * 1024


class DeclarationIn(BaseModel):
    declared_age: int | None = Field(
        default=None, ge=0, le=MAX_AGE, description="The age the user declared."
    )
    birth_date: date | None = Field(default=None, description="The birth date the user gave.")
    parent_user_id: Text | None = Field(
        default=None,
        max_length=MAX_USER_ID,
        description="The platform's id of a parent linked to this user ('' unlinks).",
    )


class OutcomeIn(BaseModel):
    provider: Text = Field(min_length=1, max_length=128)
    method: AssuranceMethod = Field(
        description="Ofcom's methods; self_declaration is never highly effective."
    )
    age_band: AgeBand
    confidence: float = Field(ge=0.0, le=1.0)
    assured_at: UtcDateTime


class SettingIn(BaseModel):
    enabled: bool = Field(description="True turns the default off (the setting on).")
    changed_by: Text = Field(
        min_length=1,
        max_length=MAX_USER_ID,
        description="Who asks: the user, or their linked parent (the child sees which).",
    )
    locale: Text | None = Field(default=None, max_length=35)


class ProviderIn(BaseModel):
    name: Text = Field(min_length=1, max_length=128)


class EvidenceOut(Out):
    source: str = Field(description="assurance or declaration")
    band: AgeBand
    counted: bool
    why: str
    method: str | None
    provider: str | None
    confidence: float | None
    at: str | None


class SettingOut(Out):
    name: Setting
    enabled: bool
    may_turn_on: bool
    changed_by: str | None = Field(description="self or parent")
    changed_at: IsoDateTime | None


class AccountOut(Out):
    user_id: str
    band: AgeBand
    assured: bool = Field(description="Whether a highly effective method set the band.")
    treated_as_child: bool
    evidence: list[EvidenceOut]
    parent_user_id: str | None
    settings: list[SettingOut]


class SettingChangeOut(Out):
    account: AccountOut
    prompt: PromptOut | None = Field(
        description="The supportive prompt to show when a default was turned off."
    )


class PolicyOut(Out):
    question: Question
    actor_id: str
    subject_id: str
    allowed: bool
    reason: str
    subject_band: AgeBand
    setting: Setting | None = Field(description="The default the child turned off, if it decided.")
    prompt: PromptOut | None


class ProviderOut(Out):
    id: str
    name: str
    created_at: IsoDateTime
    secret: str = Field(description="Signs the provider's callbacks; shown only now.")
    callback_path: str


@router.put("/v1/accounts/{user_id}", responses=_PROTECTED)
def declare(user_id: UserId, body: DeclarationIn, client: ScreenClient, state: State) -> AccountOut:
    """Register a user by the platform's id, or update what they declared."""
    declaration = Declaration(body.declared_age, body.birth_date, body.parent_user_id)
    return AccountOut.model_validate(state.accounts.declare(client, user_id, declaration))


@router.get("/v1/accounts/{user_id}", responses=problem_responses(*PROTECTED, 400, 404))
def get_account(user_id: UserId, client: ScreenClient, state: State) -> AccountOut:
    """A user's age band, the evidence behind it, and their child-safety settings."""
    return AccountOut.model_validate(state.accounts.get(client, user_id))


@router.post("/v1/accounts/{user_id}/age-assurance", status_code=201, responses=_PROTECTED)
def record_outcome(
    user_id: UserId, body: OutcomeIn, client: ScreenClient, state: State
) -> AccountOut:
    """Record an age-assurance outcome the platform received."""
    outcome = Outcome(body.provider, body.method, body.age_band, body.confidence, body.assured_at)
    return AccountOut.model_validate(state.accounts.record_outcome(client, user_id, outcome))


@router.put("/v1/accounts/{user_id}/connections/{other_id}", status_code=204, responses=_PROTECTED)
def connect(user_id: UserId, other_id: UserId, client: ScreenClient, state: State) -> Response:
    """Record that two users are connected."""
    state.accounts.connect(client, user_id, other_id, connected=True)
    return Response(status_code=204)


@router.delete(
    "/v1/accounts/{user_id}/connections/{other_id}", status_code=204, responses=_PROTECTED
)
def disconnect(user_id: UserId, other_id: UserId, client: ScreenClient, state: State) -> Response:
    """Record that two users are no longer connected."""
    state.accounts.connect(client, user_id, other_id, connected=False)
    return Response(status_code=204)


@router.put(
    "/v1/accounts/{user_id}/settings/{setting}", responses=problem_responses(*PROTECTED, 400, 404)
)
def change_setting(
    user_id: UserId, setting: Setting, body: SettingIn, client: ScreenClient, state: State
) -> SettingChangeOut:
    """Turn a child-safety default off (the setting on) where the policy allows, or back
    on; 403 when the band may not, or the asker is neither the user nor their parent."""
    account, prompt = state.accounts.change_setting(
        client, user_id, setting, body.enabled, body.changed_by, body.locale
    )
    return SettingChangeOut.model_validate({"account": account, "prompt": prompt})


@router.get("/v1/policy/{question}", responses=_PROTECTED)
def ask(
    question: Question,
    client: ScreenClient,
    state: State,
    actor: Annotated[Text, Query(min_length=1, max_length=MAX_USER_ID)],
    subject: Annotated[Text, Query(min_length=1, max_length=MAX_USER_ID)],
    locale: Locale = None,
) -> PolicyOut:
    """May `actor` message `subject` (message), see them in suggestions or connection
    lists (suggest), see their location (location), view their profile (profile)?"""
    reply = state.accounts.ask(client, question, actor, subject, locale)
    return PolicyOut.model_validate(reply)


@router.post(
    "/v1/age-assurance/providers",
    status_code=201,
    responses=problem_responses(*PROTECTED, 400, 409),
)
def add_provider(body: ProviderIn, client: AdminClient, state: State) -> ProviderOut:
    """Register an age-assurance provider; its signing secret is shown once."""
    provider, secret = state.accounts.add_provider(client, body.name)
    return ProviderOut(
        id=provider.id,
        name=provider.name,
        created_at=provider.created_at,
        secret=secret,
        callback_path=f"/v1/age-assurance/callbacks/{provider.id}",
    )


@router.post(
    "/v1/age-assurance/callbacks/{provider_id}",
    status_code=204,
    responses=problem_responses(400, 401, 409, 413, 422, 503),
)
async def callback(
    provider_id: Annotated[Text, Path(max_length=64)],
    request: Request,
    state: State,
    signature: Annotated[str, Header(alias=SIGNATURE_HEADER)] = "",
) -> Response:
    """A provider's outcome, signed like Safeguard's webhooks: `Safeguard-Signature:
    t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`. Refused unsigned,
    tampered, older than 5 minutes, or replayed (its `reference` seen before)."""
    body = await request.body()
    if len(body) > MAX_CALLBACK_BYTES:
        raise ContentTooLarge(f"a callback body is at most {MAX_CALLBACK_BYTES} bytes")
    await run_in_threadpool(state.accounts.receive_callback, provider_id, body, signature)
    return Response(status_code=204)
