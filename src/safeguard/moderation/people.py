"""The people who work in the moderator UI: users, their roles, their passwords, logging in.

Only an argon2id hash of a password is stored (``argon2.PasswordHasher``'s defaults; a
hash made with older parameters is replaced at the next login). Every change to a user
is logged as an event in its own transaction. Logging in is throttled: a name with
``max_failures`` failed logins within the window, or an address with four times as many,
is refused (``TooManyAttempts``) before any password is checked. An attempt counts as a
failure from the moment it starts, so parallel guesses cannot overtake the count; a
success clears the name's failures.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.banks.models import validate_bank_name
from safeguard.config import Settings
from safeguard.errors import (
    BadRequest,
    Conflict,
    InvalidName,
    LoginFailed,
    NotFound,
    TooManyAttempts,
)
from safeguard.events import UserCreated, UserDisabled, UserLoggedIn, UserRoleChanged
from safeguard.moderation.roles import Role as Role
from safeguard.store.db import Database
from safeguard.store.models import LoginFailure, UiSession, User, utcnow

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
ADDRESS_FACTOR = 4
"""An address may fail this many times as often as one name (people behind one NAT)."""
WRONG = "wrong user name or password"

PASSWORD_HASHER = PasswordHasher()
"""argon2id with the library's RFC 9106 low-memory profile (64 MiB, 3 passes)."""
_HASHING = threading.BoundedSemaphore(4)
"""Each hash takes 64 MiB: at most four at once, so a burst of logins cannot exhaust
memory. Never held with a database transaction open."""
_NAME_COLUMN = 128
_ADDRESS_COLUMN = 64


@dataclass(frozen=True)
class UserView:
    """A user as the faces see one (never the password hash)."""

    id: str
    name: str
    role: Role
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class Throttle:
    """How many failed logins are allowed within ``window``: ``max_failures`` per name,
    ``ADDRESS_FACTOR`` times as many per address."""

    max_failures: int
    window: timedelta

    @property
    def max_address_failures(self) -> int:
        return ADDRESS_FACTOR * self.max_failures

    @classmethod
    def from_settings(cls, settings: Settings) -> Throttle:
        return cls(settings.login_max_failures, timedelta(minutes=settings.login_window_minutes))


def validate_user_name(name: str) -> str:
    """``name`` if it follows the naming rule of banks; otherwise raise InvalidName."""
    try:
        return validate_bank_name(name)
    except InvalidName:
        raise InvalidName(
            f"invalid user name {name!r}: use 1-128 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        ) from None


def validate_role(role: Role | str) -> Role:
    """``role`` as a Role; raise BadRequest for an unknown one."""
    try:
        return Role(role)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise BadRequest(f"unknown role {role!r}: use {names}") from None


def validate_password(password: str) -> str:
    """``password`` if it has 12 to 1024 characters; the message never quotes it."""
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise BadRequest(f"a password may have at most {MAX_PASSWORD} characters")
    return password


def create_user(db: Database, name: str, password: str, role: Role | str, actor: str) -> UserView:
    """Create the user ``name`` with ``role``; Conflict if the name is taken."""
    validate_user_name(name)
    granted = validate_role(role)
    hashed = _hash(validate_password(password))  # before the transaction: it takes a while
    with db.session() as session:
        if _find(session, name) is not None:
            raise Conflict(f"a user named {name!r} already exists")
        user = User(name=name, password_hash=hashed, role=granted.value)
        session.add(user)
        try:
            session.flush()
        except IntegrityError:  # the same name, created by a concurrent transaction
            raise Conflict(f"a user named {name!r} already exists") from None
        events.record(session, UserCreated(actor, name, granted.value))
        return user_view(user)


def list_users(db: Database) -> list[UserView]:
    """Every user, disabled or not, by name."""
    with db.read_session() as session:
        return [user_view(user) for user in session.scalars(select(User).order_by(User.name))]


def disable_user(db: Database, name: str, actor: str) -> UserView:
    """Stop ``name`` from logging in and end their sessions at once. Disabling a user
    who is already disabled changes nothing."""
    with db.session() as session:
        user = _existing(session, name)
        if user.disabled_at is None:
            user.disabled_at = utcnow()
            session.execute(delete(UiSession).where(UiSession.user_id == user.id))
            events.record(session, UserDisabled(actor, name))
        return user_view(user)


def set_role(db: Database, name: str, role: Role | str, actor: str) -> UserView:
    """Give ``name`` the role ``role``; it applies to their open sessions at once."""
    granted = validate_role(role)
    with db.session() as session:
        user = _existing(session, name)
        if user.role != granted.value:
            user.role = granted.value
            events.record(session, UserRoleChanged(actor, name, granted.value))
        return user_view(user)


def log_in(
    db: Database,
    name: str,
    password: str,
    address: str,
    throttle: Throttle,
    *,
    now: datetime | None = None,
) -> UserView:
    """The user whose ``name`` and ``password`` these are, logging in from ``address``.

    Raise TooManyAttempts while the name or the address is throttled (whatever the
    password), LoginFailed for a wrong name or password or a disabled user (the same
    message, and the same work, for each).
    """
    now = now or utcnow()
    tried, address = _storable(name, _NAME_COLUMN), _storable(address, _ADDRESS_COLUMN)
    since = now - throttle.window
    with db.session() as session:
        _refuse_if_throttled(session, tried, address, since, throttle)
        session.execute(delete(LoginFailure).where(LoginFailure.at < since))
        session.add(LoginFailure(name=tried, address=address, at=now))
        user = _find(session, name) if _is_user_name(name) else None
        stored = user.password_hash if user is not None and user.disabled_at is None else None
        user_id = user.id if user is not None else None
    if not _verify(stored, password) or stored is None:
        raise LoginFailed(WRONG)
    rehashed = _hash(password) if PASSWORD_HASHER.check_needs_rehash(stored) else None
    with db.session() as session:
        user = session.get(User, user_id)
        if user is None or user.disabled_at is not None:  # disabled meanwhile
            raise LoginFailed(WRONG)
        if rehashed is not None:
            user.password_hash = rehashed
        session.execute(delete(LoginFailure).where(LoginFailure.name == tried))
        events.record(session, UserLoggedIn(user.name, user.name, address))
        return user_view(user)


def _refuse_if_throttled(
    session: Session, name: str, address: str, since: datetime, throttle: Throttle
) -> None:
    def failures(where: ColumnElement[bool]) -> int:
        query = select(func.count()).select_from(LoginFailure)
        return session.scalar(query.where(LoginFailure.at >= since, where)) or 0

    if (
        failures(LoginFailure.name == name) >= throttle.max_failures
        or failures(LoginFailure.address == address) >= throttle.max_address_failures
    ):
        minutes = max(1, round(throttle.window.total_seconds() / 60))
        raise TooManyAttempts(f"too many failed logins; wait up to {minutes} minutes and try again")


def _storable(text: str, length: int) -> str:
    """``text`` as a column of ``length`` holds it (PostgreSQL's text takes no NUL)."""
    return text[:length].replace("\x00", "\ufffd")


def _is_user_name(name: str) -> bool:
    """Whether ``name`` could be a user's (names that cannot are never looked up)."""
    try:
        validate_user_name(name)
    except InvalidName:
        return False
    return True


def _hash(password: str) -> str:
    with _HASHING:
        return PASSWORD_HASHER.hash(password)


def _verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``stored`` hashes. Without a stored hash (unknown
    or disabled user) a dummy hash is verified instead, so the answer takes as long."""
    if len(password) > MAX_PASSWORD:
        return False
    with _HASHING:
        try:
            return PASSWORD_HASHER.verify(stored or _dummy_hash(PASSWORD_HASHER), password)
        except (VerificationError, InvalidHashError):
            return False


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("a password no user has, to spend the time of a real check")


def _find(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def _existing(session: Session, name: str) -> User:
    user = _find(session, name)
    if user is None:
        raise NotFound(f"no user named {name!r}")
    return user


def user_view(user: User) -> UserView:
    """The view of an ORM user row (for the services of this package)."""
    try:
        role = Role(user.role)
    except ValueError:  # a role this version does not know grants the least
        role = Role.VIEWER
    return UserView(user.id, user.name, role, user.disabled_at is not None, user.created_at)
