"""backfill: runs over stored media and the items each decided, for resuming

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "backfill_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("finished_at", _WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_backfill_runs_source", "backfill_runs", ["source"])
    op.create_table(
        "backfill_items",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("screening_id", sa.String(length=36), nullable=True),
        sa.Column("claimed_at", _WHEN, nullable=False),
        sa.Column("decided_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["backfill_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_backfill_items_key"),
    )
    op.create_index("ix_backfill_items_run_id", "backfill_items", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_backfill_items_run_id", table_name="backfill_items")
    op.drop_table("backfill_items")
    op.drop_index("ix_backfill_runs_source", table_name="backfill_runs")
    op.drop_table("backfill_runs")
