"""Run the Alembic migrations that ship inside the package.

Every process that opens the database asks for ``head`` first; when the database is
there already (the usual case), one query says so and Alembic is never imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from safeguard.store.db import ensure_sqlite_directory

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def shipped_head() -> str:
    """The newest revision shipped: migrations are named ``NNNN_what.py`` and revision
    ``NNNN`` (tests/unit/test_migrations_head.py holds Alembic to it)."""
    return max(path.name[:4] for path in (MIGRATIONS / "versions").glob("[0-9]*.py"))


def database_revision(database_url: str) -> str | None:
    """The revision the database is at; None when it has none or cannot be read."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at ``database_url`` to ``revision``."""
    ensure_sqlite_directory(database_url)
    if revision == "head" and database_revision(database_url) == shipped_head():
        return
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Take the database at ``database_url`` back to ``revision``."""
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)
