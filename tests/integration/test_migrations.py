"""The Alembic migrations build exactly the schema the ORM models describe."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from safeguard import apikeys
from safeguard.apikeys import Scope
from safeguard.signals.pdq import MAX_THRESHOLD
from safeguard.store.db import Database
from safeguard.store.migrate import upgrade
from safeguard.store.models import Base
from tests.conftest import postgres_database

OLD_KEY = "sg_a-key-made-before-scopes"


def test_migrations_match_the_models(database_url: str) -> None:
    upgrade(database_url)
    db = Database(database_url)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    db.dispose()
    assert differences == []


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
    else:
        yield from postgres_database()


def test_0004_caps_thresholds_and_keeps_banks(blank_database_url: str) -> None:
    """Banks made before the safe maximum keep everything but a too-wide threshold."""
    upgrade(blank_database_url, "0003")
    engine = create_engine(blank_database_url)
    insert_bank = text(
        "INSERT INTO banks (id, name, action, kind, pdq_threshold, created_at) "
        "VALUES (:id, :name, 'block', 'safelist', :threshold, CURRENT_TIMESTAMP)"
    )
    with engine.begin() as connection:
        connection.execute(insert_bank, {"id": "a", "name": "wide", "threshold": 128})
        connection.execute(insert_bank, {"id": "b", "name": "usual", "threshold": 31})
    upgrade(blank_database_url, "0004")
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT name, kind, pdq_threshold, deleted_at FROM banks ORDER BY name")
        ).all()
        probes = connection.execute(text("SELECT count(*) FROM health_probes")).scalar()
    engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("usual", "safelist", 31, None),
        ("wide", "safelist", MAX_THRESHOLD, None),
    ]
    assert probes == 1


def test_0006_gives_keys_made_before_scopes_every_scope(blank_database_url: str) -> None:
    """No deployment loses access on upgrade: a key made at 0005 may do all it could."""
    upgrade(blank_database_url, "0005")
    engine = create_engine(blank_database_url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO clients (name, created_at) VALUES ('acme', CURRENT_TIMESTAMP)")
        )
        connection.execute(
            text(
                "INSERT INTO api_keys (id, name, client, key_hash, created_at) "
                "VALUES ('k1', 'acme-1', 'acme', :digest, CURRENT_TIMESTAMP)"
            ),
            {"digest": hashlib.sha256(OLD_KEY.encode()).hexdigest()},
        )
    engine.dispose()
    upgrade(blank_database_url)
    db = Database(blank_database_url)
    try:
        caller = apikeys.authenticate(db, OLD_KEY)
        [view] = apikeys.list_keys(db)
    finally:
        db.dispose()
    assert (caller.client, caller.key_name) == ("acme", "acme-1")
    assert caller.scopes == frozenset({Scope.SCREEN, Scope.BANKS, Scope.ADMIN})
    assert view.scopes == (Scope.SCREEN, Scope.BANKS, Scope.ADMIN)
