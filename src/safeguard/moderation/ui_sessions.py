"""Sessions of logged-in users in the moderator UI.

A session is a random token, given to the browser once (in a cookie) and stored only as
its SHA-256, with a CSRF token that every form the session posts must carry. A session
ends at its expiry (a fixed time after login, not extended by use), at logout, or when
its user is disabled; a role change applies to it at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from safeguard.moderation.people import UserView, user_view
from safeguard.store.db import Database
from safeguard.store.models import UiSession, User, utcnow


@dataclass(frozen=True)
class SessionView:
    """Who a session is for, the CSRF token its forms carry, and when it began and ends."""

    user: UserView
    csrf_token: str
    expires_at: datetime
    started_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(
    db: Database, user: UserView, hours: int, *, now: datetime | None = None
) -> tuple[str, SessionView]:
    """A new session for ``user`` ending ``hours`` from now: its token (shown only now)
    and the session. Sessions already expired are deleted on the way."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=hours)
    with db.session() as session:
        session.execute(delete(UiSession).where(UiSession.expires_at <= now))
        session.add(
            UiSession(
                token_hash=_digest(token),
                user_id=user.id,
                csrf_token=csrf_token,
                created_at=now,
                expires_at=expires_at,
            )
        )
    return token, SessionView(user, csrf_token, expires_at, now)


def session_of(db: Database, token: str, *, now: datetime | None = None) -> SessionView | None:
    """The session whose token is ``token``, with its user as they are now; None when
    there is none, it has expired or its user is disabled."""
    now = now or utcnow()
    query = (
        select(UiSession, User)
        .join(User, User.id == UiSession.user_id)
        .where(UiSession.token_hash == _digest(token))
    )
    with db.read_session() as session:
        found = session.execute(query).one_or_none()
        if found is None:
            return None
        record, user = found
        if record.expires_at <= now or user.disabled_at is not None:
            return None
        return SessionView(user_view(user), record.csrf_token, record.expires_at, record.created_at)


def close_session(db: Database, token: str) -> None:
    """End the session whose token is ``token`` (nothing happens if there is none)."""
    with db.session() as session:
        session.execute(delete(UiSession).where(UiSession.token_hash == _digest(token)))
