"""bank imports: entries staged out of sight, then published all at once

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bank_imports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bank_id", sa.String(length=36), nullable=False),
        sa.Column("actor", sa.String(length=256), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", _WHEN, nullable=False),
        sa.Column("heartbeat_at", _WHEN, nullable=False),
        sa.Column("finished_at", _WHEN, nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["bank_id"], ["banks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_bank_imports_bank_id", "bank_imports", ["bank_id"])
    op.create_index("ix_bank_imports_state", "bank_imports", ["state"])
    op.create_table(
        "staged_entries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("import_id", sa.String(length=36), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=256), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=True),
        sa.Column("signal_type", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("value_digest", sa.String(length=64), nullable=False),
        sa.Column("content_item_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["import_id"], ["bank_imports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staged_entries_import_item", "staged_entries", ["import_id", "item"])


def downgrade() -> None:
    op.drop_index("ix_staged_entries_import_item", table_name="staged_entries")
    op.drop_table("staged_entries")
    op.drop_index("ix_bank_imports_state", table_name="bank_imports")
    op.drop_index("ix_bank_imports_bank_id", table_name="bank_imports")
    op.drop_table("bank_imports")
