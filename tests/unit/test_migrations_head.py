"""The quick check that a database is migrated agrees with Alembic's own view."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

from safeguard.store import migrate


def test_the_shipped_head_is_alembics_head() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert scripts.get_heads() == [migrate.shipped_head()]


def test_a_migrated_database_is_recognised_and_an_old_one_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'safeguard.db'}"
    assert migrate.database_revision(url) is None
    migrate.upgrade(url, "0014")
    assert migrate.database_revision(url) == "0014"
    migrate.upgrade(url)
    assert migrate.database_revision(url) == migrate.shipped_head()
