"""Accounts: declared ages, age-assurance outcomes and providers, connections,
child-safety settings and the policy's answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from safeguard.client.calls import Call, model, nothing, operation, present
from safeguard.client.models import Account, AgeBand, PolicyAnswer, Provider, SettingChange

Question = Literal["message", "suggest", "location", "profile"]
SettingName = Literal[
    "messages_from_non_connections", "connection_suggestions", "location_sharing", "public_profile"
]
AssuranceMethod = Literal[
    "photo_id_matching",
    "facial_age_estimation",
    "open_banking",
    "mobile_network_operator",
    "credit_card",
    "digital_identity",
    "email_age_estimation",
    "self_declaration",
]
SIGNATURE_HEADER = "Safeguard-Signature"


class AccountEndpoints:
    @operation("PUT", "/v1/accounts/{user_id}")
    def declare_account(
        self,
        user_id: str,
        *,
        declared_age: int | None = None,
        birth_date: date | None = None,
        parent_user_id: str | None = None,
    ) -> Call[Account]:
        """Register a user by the platform's id, or update what they declared
        (``parent_user_id=""`` unlinks a parent)."""
        body = present(
            declared_age=declared_age, birth_date=birth_date, parent_user_id=parent_user_id
        )
        return Call(model(Account), path={"user_id": user_id}, json=body)

    @operation("GET", "/v1/accounts/{user_id}")
    def get_account(self, user_id: str) -> Call[Account]:
        """A user's age band, the evidence behind it, and their child-safety settings."""
        return Call(model(Account), path={"user_id": user_id})

    @operation("POST", "/v1/accounts/{user_id}/age-assurance")
    def record_age_assurance(
        self,
        user_id: str,
        provider: str,
        method: AssuranceMethod,
        age_band: AgeBand,
        confidence: float,
        assured_at: datetime,
    ) -> Call[Account]:
        """Record an age-assurance outcome the platform received."""
        body = present(
            provider=provider,
            method=method,
            age_band=age_band,
            confidence=confidence,
            assured_at=assured_at,
        )
        return Call(model(Account), path={"user_id": user_id}, json=body)

    @operation("PUT", "/v1/accounts/{user_id}/connections/{other_id}")
    def connect(self, user_id: str, other_id: str) -> Call[None]:
        """Record that two users are connected."""
        return Call(nothing, path={"user_id": user_id, "other_id": other_id})

    @operation("DELETE", "/v1/accounts/{user_id}/connections/{other_id}")
    def disconnect(self, user_id: str, other_id: str) -> Call[None]:
        """Record that two users are no longer connected."""
        return Call(nothing, path={"user_id": user_id, "other_id": other_id})

    @operation("PUT", "/v1/accounts/{user_id}/settings/{setting}")
    def change_setting(
        self,
        user_id: str,
        setting: SettingName,
        enabled: bool,
        changed_by: str,
        *,
        locale: str | None = None,
    ) -> Call[SettingChange]:
        """Turn a child-safety default off (``enabled=True``) where the policy allows,
        or back on; the answer holds the supportive prompt to show."""
        body = present(enabled=enabled, changed_by=changed_by, locale=locale)
        return Call(model(SettingChange), path={"user_id": user_id, "setting": setting}, json=body)

    @operation("GET", "/v1/policy/{question}")
    def ask_policy(
        self, question: Question, actor: str, subject: str, *, locale: str | None = None
    ) -> Call[PolicyAnswer]:
        """May ``actor`` message ``subject``, see them in suggestions, see their
        location, view their profile?"""
        params = present(actor=actor, subject=subject, locale=locale)
        return Call(model(PolicyAnswer), path={"question": question}, params=params)

    @operation("POST", "/v1/age-assurance/providers")
    def add_age_assurance_provider(self, name: str) -> Call[Provider]:
        """Register an age-assurance provider (admin scope); its secret is shown once."""
        return Call(model(Provider), json={"name": name})

    @operation("POST", "/v1/age-assurance/callbacks/{provider_id}")
    def send_age_assurance_callback(
        self, provider_id: str, body: bytes, signature: str
    ) -> Call[None]:
        """Deliver a provider's signed outcome (what a provider's system sends: ``body``
        as signed, ``signature`` as ``t=<unix seconds>,v1=<hex HMAC-SHA256>``)."""
        headers = {SIGNATURE_HEADER: signature, "Content-Type": "application/json"}
        return Call(nothing, path={"provider_id": provider_id}, content=body, headers=headers)
