"""API keys: created once and shown once; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from safeguard.banks.models import validate_bank_name
from safeguard.errors import Conflict, NotFound, Unauthorized
from safeguard.store.models import ApiKey, utcnow

KEY_PREFIX = "sg_"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, name: str) -> str:
    """Create a key for client ``name`` and return it; it cannot be shown again."""
    validate_bank_name(name)  # the same naming rule as banks
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise Conflict(f"an API key named {name!r} already exists")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, key_hash=_digest(key)))
    session.flush()
    return key


def authenticate(session: Session, key: str) -> str:
    """The client name of a valid, unrevoked key; raise Unauthorized otherwise."""
    record = session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(key)))
    if record is None or record.revoked_at is not None:
        raise Unauthorized("the API key is not valid")
    return record.name


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.name)))


def revoke_key(session: Session, name: str) -> None:
    record = session.scalar(select(ApiKey).where(ApiKey.name == name))
    if record is None:
        raise NotFound(f"no API key named {name!r}")
    record.revoked_at = utcnow()
