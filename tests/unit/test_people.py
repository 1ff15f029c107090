"""Users of the moderator UI: argon2id passwords, roles, events, throttled logins and
sessions that end at expiry, logout or when their user is disabled."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from safeguard import events
from safeguard.errors import (
    BadRequest,
    Conflict,
    InvalidName,
    LoginFailed,
    NotFound,
    TooManyAttempts,
)
from safeguard.moderation import people, ui_sessions
from safeguard.moderation.people import Role, Throttle
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade
from safeguard.store.models import LoginFailure, UiSession, User, utcnow

pytestmark = pytest.mark.usefixtures("quick_passwords")

PASSWORD = "correct horse battery staple"
THROTTLE = Throttle(max_failures=3, window=timedelta(minutes=15))
HERE = "192.0.2.1"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'safeguard.db'}"
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def logged(db: Database, kind: str) -> list[events.RecordedEvent]:
    with db.read_session() as session:
        return events.read_events(session, kinds=[kind])


def failures(db: Database) -> int:
    with db.read_session() as session:
        return session.scalar(select(func.count()).select_from(LoginFailure)) or 0


def stored_hash(db: Database, name: str) -> str:
    with db.read_session() as session:
        return session.scalars(select(User.password_hash).where(User.name == name)).one()


def test_create_and_list_users_with_events(db: Database) -> None:
    made = people.create_user(db, "alice", PASSWORD, Role.ADMIN, "cli")
    people.create_user(db, "bob", PASSWORD, "viewer", "cli")
    assert (made.name, made.role, made.disabled) == ("alice", Role.ADMIN, False)
    listed = people.list_users(db)
    assert [(u.name, u.role) for u in listed] == [("alice", Role.ADMIN), ("bob", Role.VIEWER)]
    assert not any("hash" in field or "password" in field for field in vars(listed[0]))
    created = logged(db, "user.created")
    assert [(e.client, e.subject, e.details) for e in created] == [
        ("cli", "alice", {"role": "admin"}),
        ("cli", "bob", {"role": "viewer"}),
    ]


def test_only_an_argon2id_hash_is_stored(db: Database) -> None:
    people.create_user(db, "alice", PASSWORD, Role.VIEWER, "cli")
    stored = stored_hash(db, "alice")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize("password", ["", "short", "x" * 11, "y" * 1025])
def test_passwords_outside_12_to_1024_characters_are_refused(db: Database, password: str) -> None:
    with pytest.raises(BadRequest) as refused:
        people.create_user(db, "alice", password, Role.VIEWER, "cli")
    assert "password" in refused.value.detail
    assert not password or password not in refused.value.detail
    assert people.list_users(db) == []


def test_names_and_roles_are_checked(db: Database) -> None:
    with pytest.raises(InvalidName, match="invalid user name"):
        people.create_user(db, "-alice", PASSWORD, Role.VIEWER, "cli")
    with pytest.raises(InvalidName, match="user name"):
        people.create_user(db, "a" * 129, PASSWORD, Role.VIEWER, "cli")
    with pytest.raises(BadRequest, match="unknown role"):
        people.create_user(db, "alice", PASSWORD, "owner", "cli")


def test_a_name_is_taken_once(db: Database) -> None:
    people.create_user(db, "alice", PASSWORD, Role.VIEWER, "cli")
    with pytest.raises(Conflict):
        people.create_user(db, "alice", "another long password", Role.ADMIN, "cli")
    assert len(logged(db, "user.created")) == 1


def test_roles_include_the_roles_before_them() -> None:
    assert Role.ADMIN.includes(Role.MODERATOR) and Role.ADMIN.includes(Role.VIEWER)
    assert Role.MODERATOR.includes(Role.VIEWER) and not Role.MODERATOR.includes(Role.ADMIN)
    assert not Role.VIEWER.includes(Role.MODERATOR)


def test_log_in_with_the_right_password_only(db: Database) -> None:
    people.create_user(db, "alice", PASSWORD, Role.MODERATOR, "cli")
    with pytest.raises(LoginFailed, match="wrong user name or password"):
        people.log_in(db, "alice", PASSWORD + "!", HERE, THROTTLE)
    assert failures(db) == 1
    user = people.log_in(db, "alice", PASSWORD, HERE, THROTTLE)
    assert (user.name, user.role) == ("alice", Role.MODERATOR)
    assert failures(db) == 0  # a success clears the name's failures
    [event] = logged(db, "user.logged_in")
    assert (event.client, event.subject, event.details) == ("alice", "alice", {"address": HERE})


def test_an_unknown_name_fails_like_a_wrong_password(db: Database) -> None:
    people.create_user(db, "alice", PASSWORD, Role.VIEWER, "cli")
    with pytest.raises(LoginFailed) as unknown:
        people.log_in(db, "mallory", PASSWORD, HERE, THROTTLE)
    with pytest.raises(LoginFailed) as wrong:
        people.log_in(db, "alice", "not the password", HERE, THROTTLE)
    assert unknown.value.detail == wrong.value.detail
    assert failures(db) == 2


@pytest.mark.parametrize("name", ["al\x00ice", "a" * 1000, "", "-"])
def test_names_no_user_can_have_fail_like_others(db: Database, name: str) -> None:
    with pytest.raises(LoginFailed, match="wrong user name or password"):
        people.log_in(db, name, PASSWORD, HERE + "\x00" * 100, THROTTLE)
    assert failures(db) == 1


def test_a_name_is_throttled_even_for_the_right_password(db: Database) -> None:
    people.create_user(db, "alice", PASSWORD, Role.VIEWER, "cli")
    start = utcnow()
    for attempt in range(THROTTLE.max_failures):
        with pytest.raises(LoginFailed):
            people.log_in(db, "alice", f"guess number {attempt}", f"198.51.100.{attempt}", THROTTLE)
    with pytest.raises(TooManyAttempts):
        people.log_in(db, "alice", PASSWORD, HERE, THROTTLE, now=start + timedelta(minutes=1))
    assert failures(db) == THROTTLE.max_failures  # a refused attempt is not counted
    later = start + THROTTLE.window + timedelta(seconds=1)
    assert people.log_in(db, "alice", PASSWORD, HERE, THROTTLE, now=later).name == "alice"


def test_an_address_is_throttled_at_four_times_the_limit(db: Database) -> None:
    people.create_user(db, "alice", PASSWORD, Role.VIEWER, "cli")
    for attempt in range(THROTTLE.max_address_failures):
        with pytest.raises(LoginFailed):
            people.log_in(db, f"name-{attempt}", "some wrong password", HERE, THROTTLE)
    with pytest.raises(TooManyAttempts):
        people.log_in(db, "alice", PASSWORD, HERE, THROTTLE)
    assert people.log_in(db, "alice", PASSWORD, "203.0.113.9", THROTTLE).name == "alice"


def test_failures_older_than_the_window_are_deleted(db: Database) -> None:
    long_ago = utcnow() - 2 * THROTTLE.window
    with pytest.raises(LoginFailed):
        people.log_in(db, "alice", "a wrong password", HERE, THROTTLE, now=long_ago)
    with pytest.raises(LoginFailed):
        people.log_in(db, "bob", "a wrong password", HERE, THROTTLE)
    with db.read_session() as session:
        assert list(session.scalars(select(LoginFailure.name))) == ["bob"]


def test_a_disabled_user_cannot_log_in_and_their_sessions_end(db: Database) -> None:
    people.create_user(db, "alice", PASSWORD, Role.MODERATOR, "cli")
    user = people.log_in(db, "alice", PASSWORD, HERE, THROTTLE)
    token, _ = ui_sessions.open_session(db, user, 8)
    assert ui_sessions.session_of(db, token) is not None
    disabled = people.disable_user(db, "alice", "cli")
    assert disabled.disabled
    assert ui_sessions.session_of(db, token) is None
    with db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(UiSession)) == 0
    with pytest.raises(LoginFailed, match="wrong user name or password"):
        people.log_in(db, "alice", PASSWORD, HERE, THROTTLE)
    people.disable_user(db, "alice", "cli")  # again: nothing changes
    [event] = logged(db, "user.disabled")
    assert (event.client, event.subject) == ("cli", "alice")
    assert [u.disabled for u in people.list_users(db)] == [True]


def test_a_role_change_applies_to_open_sessions(db: Database) -> None:
    user = people.create_user(db, "alice", PASSWORD, Role.VIEWER, "cli")
    token, opened = ui_sessions.open_session(db, user, 8)
    assert opened.user.role is Role.VIEWER
    assert people.set_role(db, "alice", "admin", "cli").role is Role.ADMIN
    people.set_role(db, "alice", Role.ADMIN, "cli")  # unchanged: no event
    session = ui_sessions.session_of(db, token)
    assert session is not None and session.user.role is Role.ADMIN
    [event] = logged(db, "user.role_changed")
    assert (event.client, event.subject, event.details) == ("cli", "alice", {"role": "admin"})


def test_unknown_users_cannot_be_changed(db: Database) -> None:
    with pytest.raises(NotFound):
        people.disable_user(db, "nobody", "cli")
    with pytest.raises(NotFound):
        people.set_role(db, "nobody", Role.ADMIN, "cli")


def test_sessions_keep_only_a_digest_and_end_at_logout(db: Database) -> None:
    user = people.create_user(db, "alice", PASSWORD, Role.VIEWER, "cli")
    token, opened = ui_sessions.open_session(db, user, 8)
    found = ui_sessions.session_of(db, token)
    assert found == opened and found.user.name == "alice" and len(found.csrf_token) >= 32
    with db.read_session() as session:
        [stored] = session.scalars(select(UiSession))
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (stored.token_hash, stored.csrf_token)
    assert ui_sessions.session_of(db, token + "x") is None
    ui_sessions.close_session(db, token)
    assert ui_sessions.session_of(db, token) is None


def test_sessions_expire(db: Database) -> None:
    user = people.create_user(db, "alice", PASSWORD, Role.VIEWER, "cli")
    token, opened = ui_sessions.open_session(db, user, 8)
    assert ui_sessions.session_of(db, token, now=opened.expires_at - timedelta(seconds=1))
    assert ui_sessions.session_of(db, token, now=opened.expires_at) is None
    at_once, _ = ui_sessions.open_session(db, user, 0)
    assert ui_sessions.session_of(db, at_once) is None
    # Opening a session deletes those that have expired.
    ui_sessions.open_session(db, user, 8, now=opened.expires_at + timedelta(minutes=1))
    with db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(UiSession)) == 1


def test_a_hash_with_old_parameters_is_replaced_at_login(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    people.create_user(db, "alice", PASSWORD, Role.VIEWER, "cli")
    old = stored_hash(db, "alice")
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(people, "PASSWORD_HASHER", stronger)
    people.log_in(db, "alice", PASSWORD, HERE, THROTTLE)
    new = stored_hash(db, "alice")
    assert new != old and "m=2048,t=2,p=1" in new
    assert not stronger.check_needs_rehash(new)
    assert people.log_in(db, "alice", PASSWORD, HERE, THROTTLE).name == "alice"
