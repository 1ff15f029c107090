"""The account service on SQLite and PostgreSQL: bands from stored evidence, the account
review item for users under the minimum age, signed callbacks, settings and answers."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from safeguard.accounts.bands import AgeBand, AssuranceMethod, Outcome
from safeguard.accounts.guidance import Guidance
from safeguard.accounts.policy import Question, Setting, parse_may_turn_on
from safeguard.accounts.service import AccountService, AgeRules, Declaration
from safeguard.errors import BadRequest, Conflict, Forbidden, InvalidSignature, NotFound
from safeguard.events import read_events
from safeguard.store.db import Database
from safeguard.store.models import AgeAssuranceOutcome, ReviewItem
from safeguard.webhooks.signing import sign

CLIENT = "platform"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def accounts(db: Database) -> AccountService:
    return AccountService(db, AgeRules(), Guidance.load())


def assured(band: AgeBand, method: AssuranceMethod = AssuranceMethod.PHOTO_ID_MATCHING):
    return Outcome("idcheck", method, band, 0.99, NOW)


def account_items(db: Database) -> list[dict[str, Any]]:
    """The reasons of the account review items."""
    with db.read_session() as session:
        query = select(ReviewItem.reason).where(ReviewItem.kind == "account")
        return list(session.scalars(query))


def event_kinds(db: Database) -> list[str]:
    with db.read_session() as session:
        return [e.kind for e in read_events(session, limit=1000)]


def test_a_user_assured_under_the_minimum_age_opens_one_account_item(
    accounts: AccountService, db: Database
) -> None:
    view = accounts.record_outcome(CLIENT, "u1", assured(AgeBand.UNDER_13))
    assert (view.band, view.assured, view.treated_as_child) == ("under-13", True, True)
    accounts.record_outcome(CLIENT, "u1", assured(AgeBand.UNDER_13))  # no second item
    accounts.record_outcome(CLIENT, "u2", assured(AgeBand.AGE_13_15))  # not under 13
    [reason] = account_items(db)
    assert reason == {"user_id": "u1", "band": "under-13", "assured": True, "minimum_age": 13}
    kinds = event_kinds(db)
    assert kinds.count("account.under_minimum_age") == 1
    assert kinds.count("account.age_assured") == 3


def test_a_birth_date_sets_the_band_and_the_minimum_age_is_configurable(db: Database) -> None:
    sixteen_plus = AccountService(db, AgeRules(minimum_age=16), Guidance.load())
    today = datetime.now(UTC).date()
    born = date(today.year - 14, 1, 1)
    view = sixteen_plus.declare(CLIENT, "teen", Declaration(birth_date=born))
    assert (view.band, view.assured) == ("13-15", False)
    [reason] = account_items(db)
    assert reason["assured"] is False and reason["minimum_age"] == 16


def test_bad_declarations_change_nothing(accounts: AccountService, db: Database) -> None:
    for declaration in (
        Declaration(declared_age=200),
        Declaration(birth_date=date(2999, 1, 1)),
        Declaration(parent_user_id="same"),
    ):
        with pytest.raises(BadRequest):
            accounts.declare(CLIENT, "same", declaration)
    with pytest.raises(NotFound):
        accounts.get(CLIENT, "same")


def signed(secret: str, payload: dict[str, Any], t: int | None = None) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    return body, sign(secret, body, int(time.time()) if t is None else t)


def callback_payload(reference: str = "check-1", band: str = "under-13") -> dict[str, Any]:
    return {
        "reference": reference,
        "user_id": "kid",
        "method": "facial_age_estimation",
        "age_band": band,
        "confidence": 0.97,
        "assured_at": NOW.isoformat(),
    }


def stored_outcomes(db: Database) -> int:
    with db.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(AgeAssuranceOutcome)) or 0)


def test_signed_callbacks_are_verified_and_never_replayed(
    accounts: AccountService, db: Database
) -> None:
    provider, secret = accounts.add_provider(CLIENT, "estimator")
    body, header = signed(secret, callback_payload())
    view = accounts.receive_callback(provider.id, body, header)
    assert (view.band, view.assured) == ("under-13", True)
    assert view.evidence[0]["provider"] == "estimator"
    before = (stored_outcomes(db), event_kinds(db))

    with pytest.raises(Conflict):  # the same callback again
        accounts.receive_callback(provider.id, body, header)
    tampered = body.replace(b"under-13", b"18+")
    with pytest.raises(InvalidSignature):
        accounts.receive_callback(provider.id, tampered, header)
    with pytest.raises(InvalidSignature):  # signed with another secret
        accounts.receive_callback(provider.id, *signed("not-the-secret", callback_payload("c2")))
    with pytest.raises(InvalidSignature):  # signed an hour ago
        old = signed(secret, callback_payload("c3"), int(time.time()) - 3600)
        accounts.receive_callback(provider.id, *old)
    with pytest.raises(InvalidSignature):
        accounts.receive_callback("no-such-provider", body, header)
    with pytest.raises(InvalidSignature):
        accounts.receive_callback(provider.id, body, "")
    with pytest.raises(BadRequest):  # signed, but not an outcome
        accounts.receive_callback(provider.id, *signed(secret, {"reference": "c4"}))
    assert (stored_outcomes(db), event_kinds(db)) == before
    with pytest.raises(Conflict):
        accounts.add_provider(CLIENT, "estimator")


def test_settings_by_the_child_or_parent_only_where_allowed(
    accounts: AccountService, db: Database
) -> None:
    accounts.record_outcome(CLIENT, "teen", assured(AgeBand.AGE_13_15))
    accounts.declare(CLIENT, "teen", Declaration(parent_user_id="mum"))
    with pytest.raises(Forbidden, match="cannot be turned on"):
        accounts.change_setting(CLIENT, "teen", Setting.MESSAGES_FROM_NON_CONNECTIONS, True, "teen")
    with pytest.raises(Forbidden, match="linked parent"):
        accounts.change_setting(CLIENT, "teen", Setting.PUBLIC_PROFILE, True, "stranger")
    assert not accounts.ask(CLIENT, Question.PROFILE, "stranger", "teen").allowed

    view, prompt = accounts.change_setting(
        CLIENT, "teen", Setting.PUBLIC_PROFILE, True, "mum", "en-US"
    )
    assert prompt is not None and prompt["topic"] == "public_profile"
    assert prompt["locale"] == "en-US" and prompt["help"]
    shown = {s.name: s for s in view.settings}["public_profile"]
    assert (shown.enabled, shown.changed_by) == (True, "parent")  # the child sees who
    reply = accounts.ask(CLIENT, Question.PROFILE, "stranger", "teen")
    assert reply.allowed and reply.setting == "public_profile" and reply.prompt is not None

    view, prompt = accounts.change_setting(CLIENT, "teen", Setting.PUBLIC_PROFILE, False, "teen")
    assert prompt is None
    assert not accounts.ask(CLIENT, Question.PROFILE, "stranger", "teen").allowed
    kinds = event_kinds(db)
    assert kinds.count("account.setting_changed") == 2


def test_a_default_the_platform_locked_cannot_be_turned_off(db: Database) -> None:
    table = parse_may_turn_on("location_sharing=")
    strict = AccountService(db, AgeRules(may_turn_on=table), Guidance.load())
    view = strict.record_outcome(CLIENT, "teen", assured(AgeBand.AGE_16_17))
    shown = {s.name: s for s in view.settings}
    assert not shown["location_sharing"].may_turn_on and shown["public_profile"].may_turn_on
    with pytest.raises(Forbidden, match="cannot be turned on"):
        strict.change_setting(CLIENT, "teen", Setting.LOCATION_SHARING, True, "teen")


def test_answers_from_connections_parents_and_unknown_users(
    accounts: AccountService, db: Database
) -> None:
    accounts.declare(CLIENT, "kid", Declaration(declared_age=11, parent_user_id="dad"))
    assert not accounts.ask(CLIENT, Question.MESSAGE, "adult", "kid").allowed
    accounts.connect(CLIENT, "kid", "adult", connected=True)
    accounts.connect(CLIENT, "adult", "kid", connected=True)  # idempotent
    reply = accounts.ask(CLIENT, Question.MESSAGE, "adult", "kid")
    assert (reply.allowed, reply.reason) == (True, "the users are connected")
    accounts.connect(CLIENT, "kid", "adult", connected=False)
    assert not accounts.ask(CLIENT, Question.MESSAGE, "adult", "kid").allowed
    assert accounts.ask(CLIENT, Question.MESSAGE, "dad", "kid").allowed
    # Another client's connections and accounts are its own.
    assert accounts.ask("other", Question.MESSAGE, "adult", "kid").subject_band == "unknown"
    # Unregistered: unknown age, a child by default; an adult by the platform's choice.
    assert not accounts.ask(CLIENT, Question.SUGGEST, "a", "nobody").allowed
    lenient = AccountService(db, AgeRules(unknown_as_child=False), Guidance.load())
    assert lenient.ask(CLIENT, Question.SUGGEST, "a", "nobody").allowed
    with pytest.raises(BadRequest):
        accounts.connect(CLIENT, "kid", "kid", connected=True)
