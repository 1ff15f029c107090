"""API keys belong to clients: a client's keys act for it, and revoking one leaves the
others (and the client's records) alone. A key carries scopes: ``screen`` only unless
told otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from safeguard import apikeys, events
from safeguard.apikeys import Scope
from safeguard.errors import BadRequest, Conflict, InvalidName, NotFound, Unauthorized
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade
from safeguard.store.models import ApiKey, Client


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'safeguard.db'}"
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def clients(db: Database) -> list[str]:
    with db.read_session() as session:
        return list(session.scalars(select(Client.name).order_by(Client.name)))


def test_a_key_acts_for_its_client(db: Database) -> None:
    key = apikeys.create_key(db, "acme-1", "cli", client="acme")
    assert key.startswith(apikeys.KEY_PREFIX)
    assert apikeys.authenticate(db, key).client == "acme"
    [view] = apikeys.list_keys(db)
    assert (view.name, view.client, view.revoked) == ("acme-1", "acme", False)
    assert clients(db) == ["acme"]


def test_without_a_client_the_key_gets_a_client_of_its_own_name(db: Database) -> None:
    key = apikeys.create_key(db, "platform", "cli")
    assert apikeys.authenticate(db, key).client == "platform"
    assert [(v.name, v.client) for v in apikeys.list_keys(db)] == [("platform", "platform")]
    assert clients(db) == ["platform"]


def test_rotation_keeps_the_client_and_revoking_one_key_leaves_the_others(
    db: Database,
) -> None:
    first = apikeys.create_key(db, "acme-1", "cli", client="acme")
    second = apikeys.create_key(db, "acme-2", "cli", client="acme")
    other = apikeys.create_key(db, "other", "cli")
    assert clients(db) == ["acme", "other"]  # one row for acme's two keys
    apikeys.revoke_key(db, "acme-1", "cli")
    with pytest.raises(Unauthorized):
        apikeys.authenticate(db, first)
    assert apikeys.authenticate(db, second).client == "acme"
    assert apikeys.authenticate(db, other).client == "other"
    listed = [(v.client, v.name, v.revoked) for v in apikeys.list_keys(db)]
    assert listed == [
        ("acme", "acme-1", True),
        ("acme", "acme-2", False),
        ("other", "other", False),
    ]


def test_key_events_name_the_key_and_its_client(db: Database) -> None:
    apikeys.create_key(db, "acme-1", "cli", client="acme")
    apikeys.revoke_key(db, "acme-1", "moderator-1")
    with db.read_session() as session:
        logged = [(e.kind, e.client, e.subject, e.details) for e in events.read_events(session)]
    assert logged == [
        ("api_key.created", "cli", "acme-1", {"owner": "acme", "scopes": ["screen"]}),
        ("api_key.revoked", "moderator-1", "acme-1", {"owner": "acme"}),
    ]


def test_unknown_and_empty_keys_are_unauthorized(db: Database) -> None:
    apikeys.create_key(db, "acme-1", "cli", client="acme")
    for key in ("", "sg_wrong", "acme-1", "acme"):
        with pytest.raises(Unauthorized):
            apikeys.authenticate(db, key)


@pytest.mark.parametrize("client", ["", "bad name", "-leading-dash", "x" * 129, "a/b"])
def test_an_invalid_client_name_is_refused_and_nothing_is_created(
    db: Database, client: str
) -> None:
    with pytest.raises(InvalidName, match="invalid client name"):
        apikeys.create_key(db, "acme-1", "cli", client=client)
    assert apikeys.list_keys(db) == []
    assert clients(db) == []


def test_an_invalid_key_name_is_refused(db: Database) -> None:
    with pytest.raises(InvalidName, match="invalid API key name"):
        apikeys.create_key(db, "bad name", "cli", client="acme")
    assert clients(db) == []


def test_key_names_are_unique_across_clients(db: Database) -> None:
    apikeys.create_key(db, "shared", "cli", client="acme")
    with pytest.raises(Conflict):
        apikeys.create_key(db, "shared", "cli", client="other")
    assert clients(db) == ["acme"]  # no client is made for a refused key


def test_revoking_an_unknown_key_is_not_found(db: Database) -> None:
    apikeys.create_key(db, "acme-1", "cli", client="acme")
    with pytest.raises(NotFound):
        apikeys.revoke_key(db, "acme", "cli")  # a client's name is not a key's


def test_add_key_commits_with_the_callers_transaction_or_not_at_all(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        apikeys.add_key(session, "acme-1", "cli", client="acme")
        raise RuntimeError("the caller's change failed")
    assert apikeys.list_keys(db) == [] and clients(db) == []
    with db.session() as session:
        key = apikeys.add_key(session, "acme-1", "cli", client="acme")
        assert apikeys.has_key(session, "acme-1")
    assert apikeys.authenticate(db, key).client == "acme"
    with db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 1


def test_a_new_key_may_only_screen(db: Database) -> None:
    key = apikeys.create_key(db, "acme-1", "cli", client="acme")
    caller = apikeys.authenticate(db, key)
    assert caller == apikeys.Caller("acme", "acme-1", frozenset({Scope.SCREEN}))
    assert caller.allows(Scope.SCREEN) and not caller.allows(Scope.BANKS)
    assert apikeys.list_keys(db)[0].scopes == (Scope.SCREEN,)


def test_scopes_are_stored_once_each_and_returned_by_authenticate(db: Database) -> None:
    key = apikeys.create_key(db, "lists", "cli", scopes=["banks", Scope.SCREEN, Scope.BANKS])
    caller = apikeys.authenticate(db, key)
    assert (caller.client, caller.key_name) == ("lists", "lists")
    assert caller.scopes == frozenset({Scope.SCREEN, Scope.BANKS})
    assert apikeys.list_keys(db)[0].scopes == (Scope.SCREEN, Scope.BANKS)
    with db.read_session() as session:
        assert session.scalar(select(ApiKey.scopes)) == ["screen", "banks"]


def test_add_key_takes_scopes_in_the_callers_transaction(db: Database) -> None:
    with db.session() as session:
        key = apikeys.add_key(session, "ops", "cli", scopes=(Scope.ADMIN,))
    assert apikeys.authenticate(db, key).scopes == frozenset({Scope.ADMIN})


@pytest.mark.parametrize("scopes", [[], (), ["nonsense"], ["screen", "root"], "everything"])
def test_no_scope_or_an_unknown_one_is_refused_and_nothing_is_created(
    db: Database, scopes: list[str]
) -> None:
    with pytest.raises(BadRequest, match="scope"):
        apikeys.create_key(db, "acme-1", "cli", client="acme", scopes=scopes)
    assert apikeys.list_keys(db) == [] and clients(db) == []


def test_a_scope_this_version_does_not_know_grants_nothing(db: Database) -> None:
    key = apikeys.create_key(db, "acme-1", "cli", client="acme", scopes=[Scope.SCREEN])
    with db.session() as session:
        session.scalars(select(ApiKey)).one().scopes = ["screen", "future"]
    assert apikeys.authenticate(db, key).scopes == frozenset({Scope.SCREEN})


def test_the_created_event_carries_the_scopes(db: Database) -> None:
    apikeys.create_key(db, "acme-1", "cli", client="acme", scopes=[Scope.BANKS, Scope.ADMIN])
    with db.read_session() as session:
        [event] = events.read_events(session, kinds=["api_key.created"])
    assert event.details == {"owner": "acme", "scopes": ["banks", "admin"]}
