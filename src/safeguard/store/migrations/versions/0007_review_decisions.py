"""claims on review items, and the decisions taken on them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_CLAIMED_BY_FK = "fk_review_items_claimed_by_users"


def upgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            _CLAIMED_BY_FK, "users", ["claimed_by"], ["id"], ondelete="SET NULL"
        )
    op.create_table(
        "review_decisions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("review_item_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("safelist_bank", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reverses_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(["review_item_id"], ["review_items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["reverses_id"], ["review_decisions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_decisions_review_item_id", "review_decisions", ["review_item_id"])


def downgrade() -> None:
    op.drop_table("review_decisions")
    with op.batch_alter_table("review_items") as batch:
        batch.drop_constraint(_CLAIMED_BY_FK, type_="foreignkey")
        batch.drop_column("claimed_at")
        batch.drop_column("claimed_by")
