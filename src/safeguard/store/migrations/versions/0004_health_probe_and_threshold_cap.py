"""a row for health's write probe; PDQ thresholds capped at the safe maximum; banks
marked deleted while their entries are purged

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The PDQ threshold's safe maximum when this migration was written (signals/pdq.py).
_MAX_PDQ_THRESHOLD = 44


def upgrade() -> None:
    op.create_table(
        "health_probes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(sa.text("INSERT INTO health_probes (id, checked_at) VALUES (1, CURRENT_TIMESTAMP)"))
    with op.batch_alter_table("banks") as batch:
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        sa.text("UPDATE banks SET pdq_threshold = :cap WHERE pdq_threshold > :cap").bindparams(
            cap=_MAX_PDQ_THRESHOLD
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("banks") as batch:
        batch.drop_column("deleted_at")
    op.drop_table("health_probes")
