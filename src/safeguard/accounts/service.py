"""Accounts over the database: what platforms tell us of their users' ages, and answers.

A client registers its users by its own ids, with a declared age or birth date, a
linked parent, connections and age-assurance outcomes (sent by the client, or by a
provider in a signed callback). Each change re-derives the user's band
(``bands.derive_band``); a user who becomes a child under the service's minimum age
opens an account review item, once. Policy questions are answered from the bands, the
connection and the child's settings (``policy.answer``).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.accounts.bands import (
    AgeBand,
    AssuranceMethod,
    Derivation,
    Outcome,
    age_on,
    derive_band,
)
from safeguard.accounts.guidance import Guidance
from safeguard.accounts.policy import (
    MAY_TURN_ON,
    Answer,
    MayTurnOn,
    Question,
    Relation,
    Setting,
    Subject,
    answer,
    may_turn_on,
)
from safeguard.errors import BadRequest, Conflict, Forbidden, InvalidSignature, NotFound
from safeguard.moderation.priority import Priority
from safeguard.store.db import Database
from safeguard.store.models import (
    Account,
    AccountConnection,
    AgeAssuranceOutcome,
    AgeAssuranceProvider,
    ReviewItem,
)
from safeguard.webhooks.signing import verify

MAX_USER_ID = 256
MAX_AGE = 130


@dataclass(frozen=True)
class AgeRules:
    """The service's minimum age, how unknown ages are treated, the confidence needed."""

    minimum_age: int = 13
    unknown_as_child: bool = True
    min_confidence: float = 0.8
    may_turn_on: MayTurnOn = field(default_factory=lambda: dict(MAY_TURN_ON))


@dataclass(frozen=True)
class Declaration:
    """What a client says of its user (``None``: unchanged)."""

    declared_age: int | None = None
    birth_date: date | None = None
    parent_user_id: str | None = None


@dataclass(frozen=True)
class SettingView:
    name: str
    enabled: bool
    may_turn_on: bool
    changed_by: str | None
    changed_at: datetime | None


@dataclass(frozen=True)
class AccountView:
    user_id: str
    band: str
    assured: bool
    treated_as_child: bool
    evidence: list[dict[str, object]]
    parent_user_id: str | None
    settings: list[SettingView]


@dataclass(frozen=True)
class ProviderView:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class PolicyReply:
    question: str
    actor_id: str
    subject_id: str
    allowed: bool
    reason: str
    subject_band: str
    setting: str | None
    prompt: dict[str, object] | None  # the supportive prompt the platform shows the child


class AccountService:
    """Accounts, age assurance, connections, settings and policy answers."""

    def __init__(self, db: Database, rules: AgeRules, guidance: Guidance) -> None:
        self.db = db
        self.rules = rules
        self.guidance = guidance

    def declare(self, client: str, user_id: str, declaration: Declaration) -> AccountView:
        """Register the user, or update what is declared; the account after it."""
        _check_declaration(user_id, declaration)
        with self.db.session() as session:
            account = self._account(session, client, user_id, create=True)
            if declaration.declared_age is not None or declaration.birth_date is not None:
                account.declared_age = declaration.declared_age
                account.birth_date = declaration.birth_date
                account.declared_at = _now()
            if declaration.parent_user_id is not None:
                account.parent_user_id = declaration.parent_user_id or None
            self._rederive(session, account)
            return self._view(session, account)

    def record_outcome(self, client: str, user_id: str, outcome: Outcome) -> AccountView:
        """Record an outcome the client sent; the account after it."""
        _check_user_id(user_id)
        _check_outcome(outcome)
        with self.db.session() as session:
            account = self._account(session, client, user_id, create=True)
            self._add_outcome(session, account, outcome, None, None, "api")
            return self._view(session, account)

    def add_provider(self, client: str, name: str) -> tuple[ProviderView, str]:
        """Register an age-assurance provider: it, and the secret it signs callbacks
        with (shown this once)."""
        if not name.strip() or len(name) > 128:
            raise BadRequest("a provider needs a name of 1 to 128 characters")
        secret = secrets.token_urlsafe(32)
        try:
            with self.db.session() as session:
                row = AgeAssuranceProvider(client=client, name=name, secret=secret)
                session.add(row)
                session.flush()
                return ProviderView(row.id, row.name, row.created_at), secret
        except IntegrityError:
            raise Conflict(f"a provider named {name!r} exists") from None

    def receive_callback(self, provider_id: str, body: bytes, signature: str) -> AccountView:
        """Record a provider's signed outcome. A wrong, missing or expired signature is
        refused (401) and a replayed one (a reference seen before) too (409); neither
        changes anything."""
        with self.db.session() as session:
            provider = session.get(AgeAssuranceProvider, provider_id)
            if provider is None or not verify(provider.secret, body, signature):
                raise InvalidSignature("the callback's signature does not verify")
            user_id, reference, outcome = _parse_callback(body, provider.name)
            seen = select(AgeAssuranceOutcome.id).where(
                AgeAssuranceOutcome.provider_id == provider.id,
                AgeAssuranceOutcome.reference == reference,
            )
            if session.scalar(seen) is not None:
                raise Conflict(f"callback {reference!r} was received before")
            account = self._account(session, provider.client, user_id, create=True)
            try:
                with session.begin_nested():
                    self._add_outcome(session, account, outcome, provider.id, reference, "callback")
            except IntegrityError:
                raise Conflict(f"callback {reference!r} was received before") from None
            return self._view(session, account)

    def connect(self, client: str, first: str, second: str, connected: bool) -> None:
        """Connect two users, or disconnect them (idempotent either way)."""
        _check_user_id(first)
        _check_user_id(second)
        if first == second:
            raise BadRequest("a user cannot be connected to themselves")
        low, high = sorted((first, second))
        with self.db.session() as session:
            exists = session.get(AccountConnection, (client, low, high)) is not None
            if connected and not exists:
                session.add(
                    AccountConnection(client=client, first_user_id=low, second_user_id=high)
                )
            elif not connected:
                session.execute(
                    delete(AccountConnection).where(
                        AccountConnection.client == client,
                        AccountConnection.first_user_id == low,
                        AccountConnection.second_user_id == high,
                    )
                )

    def change_setting(
        self,
        client: str,
        user_id: str,
        setting: Setting,
        enabled: bool,
        changed_by: str,
        locale: str | None = None,
    ) -> tuple[AccountView, dict[str, object] | None]:
        """Turn one of a child's defaults on (where the policy allows) or back off, by
        the child or their linked parent; the account, and the prompt to show when a
        default was turned off."""
        with self.db.session() as session:
            account = self._account(session, client, user_id)
            if changed_by == user_id:
                who = "self"
            elif changed_by == account.parent_user_id:
                who = "parent"
            else:
                raise Forbidden("only the user or their linked parent may change a default")
            subject = self._subject(session, account)
            allowed = may_turn_on(subject.band, setting, self.rules.may_turn_on)
            if enabled and subject.treated_as_child and not allowed:
                raise Forbidden(
                    f"{setting.value} cannot be turned on for a user of band {subject.band.value}"
                )
            current = dict(account.settings)
            if enabled:
                current[setting.value] = {"changed_by": who, "changed_at": _now().isoformat()}
            else:
                current.pop(setting.value, None)
            account.settings = current
            account.updated_at = _now()
            events.record(
                session, events.AccountSettingChanged(client, user_id, setting.value, enabled, who)
            )
            prompt = None
            if enabled and subject.treated_as_child:
                prompt = self.guidance.prompt(setting.value, locale).as_dict()
            return self._view(session, account), prompt

    def get(self, client: str, user_id: str) -> AccountView:
        with self.db.read_session() as session:
            return self._view(session, self._account(session, client, user_id))

    def ask(
        self,
        client: str,
        question: Question,
        actor_id: str,
        subject_id: str,
        locale: str | None = None,
    ) -> PolicyReply:
        """May ``actor_id`` do ``question`` to ``subject_id``? Unregistered users are of
        unknown age."""
        _check_user_id(actor_id)
        _check_user_id(subject_id)
        with self.db.read_session() as session:
            account = session.scalar(_by_user(client, subject_id))
            subject = (
                self._subject(session, account)
                if account is not None
                else Subject(AgeBand.UNKNOWN, self.rules.unknown_as_child)
            )
            relation = Relation(
                same_user=actor_id == subject_id,
                connected=_connected(session, client, actor_id, subject_id),
                parent=account is not None and account.parent_user_id == actor_id,
            )
        result: Answer = answer(question, subject, relation)
        prompt = (
            self.guidance.prompt(result.setting.value, locale).as_dict()
            if result.setting is not None
            else None
        )
        return PolicyReply(
            question.value,
            actor_id,
            subject_id,
            result.allowed,
            result.reason,
            subject.band.value,
            result.setting.value if result.setting else None,
            prompt,
        )

    def _account(
        self, session: Session, client: str, user_id: str, create: bool = False
    ) -> Account:
        account = session.scalar(_by_user(client, user_id))
        if account is not None:
            return account
        if not create:
            raise NotFound(f"no account {user_id!r}")
        account = Account(client=client, user_id=user_id, settings={}, band=AgeBand.UNKNOWN.value)
        try:
            with session.begin_nested():
                session.add(account)
        except IntegrityError:  # registered meanwhile by another request
            return session.scalars(_by_user(client, user_id)).one()
        return account

    def _add_outcome(
        self,
        session: Session,
        account: Account,
        outcome: Outcome,
        provider_id: str | None,
        reference: str | None,
        via: str,
    ) -> None:
        session.add(
            AgeAssuranceOutcome(
                account_id=account.id,
                provider=outcome.provider,
                provider_id=provider_id,
                reference=reference,
                method=outcome.method.value,
                band=outcome.band.value,
                confidence=outcome.confidence,
                assured_at=outcome.assured_at,
            )
        )
        session.flush()
        derivation = self._rederive(session, account)
        events.record(
            session,
            events.AgeAssured(
                account.client,
                account.user_id,
                outcome.provider,
                outcome.method.value,
                outcome.band.value,
                outcome.method.highly_effective,
                via,
                derivation.band.value,
            ),
        )

    def _derive(self, session: Session, account: Account) -> Derivation:
        rows = session.scalars(
            select(AgeAssuranceOutcome).where(AgeAssuranceOutcome.account_id == account.id)
        )
        outcomes = [
            Outcome(
                r.provider,
                AssuranceMethod(r.method),
                AgeBand(r.band),
                r.confidence,
                r.assured_at,
            )
            for r in rows
        ]
        return derive_band(_declared_age(account), outcomes, self.rules.min_confidence)

    def _rederive(self, session: Session, account: Account) -> Derivation:
        """Store the account's band; open an account item when it falls under the
        service's minimum age (from another band, so only once)."""
        derivation = self._derive(session, account)
        before = AgeBand(account.band)
        account.band = derivation.band.value
        account.updated_at = _now()
        session.flush()
        if self._under_minimum(derivation.band) and not self._under_minimum(before):
            self._open_item(session, account, derivation)
        return derivation

    def _under_minimum(self, band: AgeBand) -> bool:
        oldest = band.oldest_age
        return oldest is not None and oldest < self.rules.minimum_age

    def _open_item(self, session: Session, account: Account, derivation: Derivation) -> None:
        key = f"account:{account.user_id}"[:128]
        taken = select(ReviewItem.id).where(
            ReviewItem.client == account.client, ReviewItem.open_key == key
        )
        if session.scalar(taken) is not None:
            return
        item = ReviewItem(
            kind="account",
            client=account.client,
            reason={
                "user_id": account.user_id,
                "band": derivation.band.value,
                "assured": derivation.assured,
                "minimum_age": self.rules.minimum_age,
            },
            priority=int(Priority.ASSURED_UNDERAGE_USER),
            open_key=key,
        )
        session.add(item)
        session.flush()
        events.record(
            session,
            events.AccountUnderMinimumAge(
                account.client,
                account.user_id,
                derivation.band.value,
                self.rules.minimum_age,
                item.id,
            ),
        )

    def _subject(self, session: Session, account: Account) -> Subject:
        turned_on = frozenset(s for s in Setting if s.value in account.settings)
        band = self._derive(session, account).band
        return Subject(band, self.rules.unknown_as_child, turned_on)

    def _view(self, session: Session, account: Account) -> AccountView:
        derivation = self._derive(session, account)
        subject = Subject(derivation.band, self.rules.unknown_as_child)
        settings = []
        for setting in Setting:
            change: dict[str, Any] | None = account.settings.get(setting.value)
            settings.append(
                SettingView(
                    setting.value,
                    change is not None or not subject.treated_as_child,
                    not subject.treated_as_child
                    or may_turn_on(derivation.band, setting, self.rules.may_turn_on),
                    change["changed_by"] if change else None,
                    datetime.fromisoformat(change["changed_at"]) if change else None,
                )
            )
        return AccountView(
            account.user_id,
            derivation.band.value,
            derivation.assured,
            subject.treated_as_child,
            [item.as_dict() for item in derivation.evidence],
            account.parent_user_id,
            settings,
        )


def _by_user(client: str, user_id: str) -> Select[Account]:
    return select(Account).where(Account.client == client, Account.user_id == user_id)


def _connected(session: Session, client: str, first: str, second: str) -> bool:
    low, high = sorted((first, second))
    return session.get(AccountConnection, (client, low, high)) is not None


def _now() -> datetime:
    return datetime.now(UTC)


def _declared_age(account: Account) -> int | None:
    """Today's age from the birth date, or the declared age plus the years since."""
    today = _now().date()
    if account.birth_date is not None:
        return age_on(account.birth_date, today)
    if account.declared_age is None or account.declared_at is None:
        return None
    return account.declared_age + age_on(account.declared_at.date(), today)


def _check_user_id(user_id: str) -> None:
    if not user_id or len(user_id) > MAX_USER_ID:
        raise BadRequest(f"a user id has 1 to {MAX_USER_ID} characters")


def _check_declaration(user_id: str, declaration: Declaration) -> None:
    _check_user_id(user_id)
    if declaration.declared_age is not None and not 0 <= declaration.declared_age <= MAX_AGE:
        raise BadRequest(f"a declared age is from 0 to {MAX_AGE}")
    if declaration.birth_date is not None and declaration.birth_date > _now().date():
        raise BadRequest("a birth date cannot be in the future")
    if declaration.parent_user_id == user_id:
        raise BadRequest("a user cannot be their own parent")
    if declaration.parent_user_id is not None and len(declaration.parent_user_id) > MAX_USER_ID:
        raise BadRequest(f"a user id has 1 to {MAX_USER_ID} characters")


def _check_outcome(outcome: Outcome) -> None:
    if not 0.0 <= outcome.confidence <= 1.0:
        raise BadRequest("confidence is from 0 to 1")
    if not outcome.provider.strip() or len(outcome.provider) > 128:
        raise BadRequest("a provider name has 1 to 128 characters")
    if outcome.assured_at.tzinfo is None:
        raise BadRequest("assured_at needs a time zone")


def _parse_callback(body: bytes, provider: str) -> tuple[str, str, Outcome]:
    """(user_id, reference, outcome) of a callback's JSON body, validated."""
    try:
        data = json.loads(body)
        user_id, reference = str(data["user_id"]), str(data["reference"])
        outcome = Outcome(
            provider,
            AssuranceMethod(data["method"]),
            AgeBand(data["age_band"]),
            float(data["confidence"]),
            datetime.fromisoformat(str(data["assured_at"])),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest(f"not a valid callback: {exc}") from None
    _check_user_id(user_id)
    if not reference or len(reference) > 256:
        raise BadRequest("a callback needs a reference of 1 to 256 characters")
    _check_outcome(outcome)
    return user_id, reference, outcome
