"""API keys and the clients that own them.

A client is a platform or tenant: its records (screenings, conversations, review items,
audit events) carry its name, so they outlive any one of its keys. A key is created once
and shown once; only its SHA-256 is stored. To rotate, create a second key for the same
client, switch to it, and revoke the first. Creating and revoking a key is logged as an
event.

A key also carries scopes, what it may do for its client (least privilege): ``screen``
(screening, lookups, conversations, review items), ``banks`` (list management) and
``admin`` (keys, users and settings). A new key gets ``screen`` unless told otherwise.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.banks.models import validate_bank_name
from safeguard.errors import BadRequest, Conflict, InvalidName, NotFound, Unauthorized
from safeguard.events import ApiKeyCreated, ApiKeyRevoked
from safeguard.scopes import DEFAULT_SCOPES as DEFAULT_SCOPES
from safeguard.scopes import Scope as Scope
from safeguard.store.db import Database
from safeguard.store.models import ApiKey, Client, utcnow

KEY_PREFIX = "sg_"


@dataclass(frozen=True)
class Caller:
    """Who sent a request: the client its key acts for, the key's name and its scopes."""

    client: str
    key_name: str
    scopes: frozenset[Scope]

    def allows(self, scope: Scope) -> bool:
        """Whether the key carries ``scope``."""
        return scope in self.scopes


@dataclass(frozen=True)
class ApiKeyView:
    """A key's name, its client, its state and its scopes (never the key)."""

    name: str
    client: str
    created_at: datetime
    revoked: bool
    scopes: tuple[Scope, ...]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _validate_name(kind: str, name: str) -> str:
    """``name`` if it follows the naming rule of banks (which key and client names share);
    otherwise raise InvalidName, naming ``kind`` ("API key", "client")."""
    try:
        return validate_bank_name(name)
    except InvalidName:
        raise InvalidName(
            f"invalid {kind} name {name!r}: use 1-128 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        ) from None


def validate_scopes(scopes: Iterable[Scope | str]) -> tuple[Scope, ...]:
    """``scopes`` as known scopes, each once, in the order of ``Scope``; raise BadRequest
    for an unknown scope or for none at all."""
    if isinstance(scopes, str):  # one scope, not its letters
        scopes = (scopes,)
    wanted: set[Scope] = set()
    for scope in scopes:
        try:
            wanted.add(Scope(scope))
        except ValueError:
            raise BadRequest(f"unknown API key scope {scope!r}: use {_scope_names()}") from None
    if not wanted:
        raise BadRequest(f"an API key needs at least one scope: {_scope_names()}")
    return tuple(scope for scope in Scope if scope in wanted)


def _scope_names() -> str:
    return ", ".join(scope.value for scope in Scope)


def _stored_scopes(values: Iterable[str]) -> tuple[Scope, ...]:
    """The known scopes among a key's stored ``values``, in the order of ``Scope`` (a
    scope this version does not know grants nothing)."""
    stored = set(values)
    return tuple(scope for scope in Scope if scope.value in stored)


def create_key(
    db: Database,
    name: str,
    actor: str,
    client: str | None = None,
    scopes: Iterable[Scope | str] = DEFAULT_SCOPES,
) -> str:
    """Create the key ``name`` for ``client`` (by default, a client named like the key)
    with ``scopes`` (by default ``screen`` only), creating the client if it is new, and
    return the key; it cannot be shown again."""
    with db.session() as session:
        return add_key(session, name, actor, client, scopes)


def add_key(
    session: Session,
    name: str,
    actor: str,
    client: str | None = None,
    scopes: Iterable[Scope | str] = DEFAULT_SCOPES,
) -> str:
    """``create_key`` in the caller's transaction."""
    _validate_name("API key", name)
    owner = _validate_name("client", name if client is None else client)
    granted = [scope.value for scope in validate_scopes(scopes)]
    if has_key(session, name):
        raise Conflict(f"an API key named {name!r} already exists")
    _ensure_client(session, owner)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, client=owner, key_hash=_digest(key), scopes=granted))
    try:
        session.flush()
    except IntegrityError:  # the same name, created by a concurrent transaction
        raise Conflict(f"an API key named {name!r} already exists") from None
    events.record(session, ApiKeyCreated(actor, name, owner, granted))
    return key


def _ensure_client(session: Session, name: str) -> None:
    """Create the client ``name`` unless it exists; one created meanwhile by a concurrent
    transaction is no error."""
    if session.get(Client, name) is not None:
        return
    try:
        with session.begin_nested():
            session.add(Client(name=name))
    except IntegrityError:
        pass


def authenticate(db: Database, key: str) -> Caller:
    """Who ``key``, a valid and unrevoked key, acts for and what it may do; raise
    Unauthorized otherwise."""
    with db.read_session() as session:
        record = session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(key)))
        if record is None or record.revoked_at is not None:
            raise Unauthorized("the API key is not valid")
        return Caller(record.client, record.name, frozenset(_stored_scopes(record.scopes or ())))


def list_keys(db: Database) -> list[ApiKeyView]:
    """Every key, revoked or not, by client and then by name."""
    with db.read_session() as session:
        query = select(ApiKey).order_by(ApiKey.client, ApiKey.name)
        return [
            ApiKeyView(
                k.name, k.client, k.created_at, k.revoked_at is not None, _stored_scopes(k.scopes)
            )
            for k in session.scalars(query)
        ]


def has_key(session: Session, name: str) -> bool:
    """Whether a key named ``name`` exists (revoked or not)."""
    return session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None


def revoke_key(db: Database, name: str, actor: str) -> None:
    """Revoke the key named ``name`` at once; its client's other keys keep working."""
    with db.session() as session:
        record = session.scalar(select(ApiKey).where(ApiKey.name == name))
        if record is None:
            raise NotFound(f"no API key named {name!r}")
        record.revoked_at = utcnow()
        events.record(session, ApiKeyRevoked(actor, name, record.client))
