"""exchange feedback: moderators' opinions of exchanged records, sent back to the source

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("exchanges") as batch:
        batch.add_column(
            sa.Column("feedback_event_id", sa.BigInteger(), server_default="0", nullable=False)
        )
    # Feedback covers decisions made from now on, not those made before it existed.
    op.execute(
        "UPDATE exchanges SET feedback_event_id = (SELECT COALESCE(MAX(id), 0) FROM audit_events)"
    )
    op.create_table(
        "exchange_feedback",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("exchange_id", sa.String(length=36), nullable=False),
        sa.Column("record", sa.String(length=256), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("opinion", sa.String(length=16), nullable=False),
        sa.Column("sent_opinion", sa.String(length=16), nullable=True),
        sa.Column("review_item_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("queued_at", _WHEN, nullable=False),
        sa.Column("next_attempt_at", _WHEN, nullable=False),
        sa.Column("sent_at", _WHEN, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["exchange_id"], ["exchanges.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "exchange_id", "record", "fingerprint", name="uq_exchange_feedback_fingerprint"
        ),
    )
    op.create_index("ix_exchange_feedback_due", "exchange_feedback", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_exchange_feedback_due", table_name="exchange_feedback")
    op.drop_table("exchange_feedback")
    with op.batch_alter_table("exchanges") as batch:
        batch.drop_column("feedback_event_id")
