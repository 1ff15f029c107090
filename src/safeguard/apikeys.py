"""API keys: created once and shown once; only their SHA-256 is stored. Creating and
revoking a key is logged as an event."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.banks.models import validate_bank_name
from safeguard.errors import Conflict, NotFound, Unauthorized
from safeguard.events import ApiKeyCreated, ApiKeyRevoked
from safeguard.store.db import Database
from safeguard.store.models import ApiKey, utcnow

KEY_PREFIX = "sg_"


@dataclass(frozen=True)
class ApiKeyView:
    """A key's client name and state (never the key)."""

    name: str
    created_at: datetime
    revoked: bool


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(db: Database, name: str, actor: str) -> str:
    """Create a key for client ``name`` and return it; it cannot be shown again."""
    with db.session() as session:
        return add_key(session, name, actor)


def add_key(session: Session, name: str, actor: str) -> str:
    """``create_key`` in the caller's transaction."""
    validate_bank_name(name)  # the same naming rule as banks
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise Conflict(f"an API key named {name!r} already exists")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, key_hash=_digest(key)))
    events.record(session, ApiKeyCreated(actor, name))
    session.flush()
    return key


def authenticate(db: Database, key: str) -> str:
    """The client name of a valid, unrevoked key; raise Unauthorized otherwise."""
    with db.read_session() as session:
        record = session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(key)))
        if record is None or record.revoked_at is not None:
            raise Unauthorized("the API key is not valid")
        return record.name


def list_keys(db: Database) -> list[ApiKeyView]:
    """Every key, by name."""
    with db.read_session() as session:
        return [
            ApiKeyView(k.name, k.created_at, k.revoked_at is not None)
            for k in session.scalars(select(ApiKey).order_by(ApiKey.name))
        ]


def has_key(session: Session, name: str) -> bool:
    """Whether a key named ``name`` exists (revoked or not)."""
    return session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None


def revoke_key(db: Database, name: str, actor: str) -> None:
    """Revoke the key of client ``name`` at once."""
    with db.session() as session:
        record = session.scalar(select(ApiKey).where(ApiKey.name == name))
        if record is None:
            raise NotFound(f"no API key named {name!r}")
        record.revoked_at = utcnow()
        events.record(session, ApiKeyRevoked(actor, name))
