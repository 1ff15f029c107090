"""The Alembic migrations build exactly the schema the ORM models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from safeguard.store.db import Database
from safeguard.store.migrate import upgrade
from safeguard.store.models import Base


def test_migrations_match_the_models(database_url: str) -> None:
    upgrade(database_url)
    db = Database(database_url)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    db.dispose()
    assert differences == []
