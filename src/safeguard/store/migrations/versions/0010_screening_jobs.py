"""screening jobs: uploads screened in the background (long videos)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "screening_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("lease_until", _WHEN, nullable=False),
        sa.Column("finished_at", _WHEN, nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("details", sa.LargeBinary(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_screening_jobs_client", "screening_jobs", ["client"])
    op.create_index("ix_screening_jobs_due", "screening_jobs", ["status", "lease_until"])


def downgrade() -> None:
    op.drop_index("ix_screening_jobs_due", table_name="screening_jobs")
    op.drop_index("ix_screening_jobs_client", table_name="screening_jobs")
    op.drop_table("screening_jobs")
