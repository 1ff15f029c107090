"""API keys belong to clients: a client's keys act for it, and revoking one leaves the
others (and the client's records) alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from safeguard import apikeys, events
from safeguard.errors import Conflict, InvalidName, NotFound, Unauthorized
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
    assert apikeys.authenticate(db, key) == "acme"
    [view] = apikeys.list_keys(db)
    assert (view.name, view.client, view.revoked) == ("acme-1", "acme", False)
    assert clients(db) == ["acme"]


def test_without_a_client_the_key_gets_a_client_of_its_own_name(db: Database) -> None:
    key = apikeys.create_key(db, "platform", "cli")
    assert apikeys.authenticate(db, key) == "platform"
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
    assert apikeys.authenticate(db, second) == "acme"
    assert apikeys.authenticate(db, other) == "other"
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
        ("api_key.created", "cli", "acme-1", {"owner": "acme"}),
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
    assert apikeys.authenticate(db, key) == "acme"
    with db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 1
