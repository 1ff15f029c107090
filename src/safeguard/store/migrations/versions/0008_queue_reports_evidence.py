"""the review queue's priorities and repeat uploads, user reports, appeals, and the
evidence vault

Items open before this revision get the priority of their source: a screening held for
review 50, a flagged conversation 70 (see ``safeguard.moderation.priority``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_OPEN_KEY = "uq_review_items_client_open_key"


def upgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("open_key", sa.String(length=128), nullable=True))
        batch.create_unique_constraint(_OPEN_KEY, ["client", "open_key"])
    op.execute("UPDATE review_items SET priority = 50 WHERE kind = 'screening'")
    op.execute("UPDATE review_items SET priority = 70 WHERE kind = 'conversation'")
    op.create_table(
        "review_item_screenings",
        sa.Column("review_item_id", sa.String(length=36), nullable=False),
        sa.Column("screening_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["review_item_id"], ["review_items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("review_item_id", "screening_id"),
    )
    op.create_index(
        "ix_review_item_screenings_screening_id", "review_item_screenings", ["screening_id"]
    )
    op.execute(
        "INSERT INTO review_item_screenings (review_item_id, screening_id) "
        "SELECT id, screening_id FROM review_items WHERE screening_id IS NOT NULL"
    )
    op.create_table(
        "review_item_banks",
        sa.Column("review_item_id", sa.String(length=36), nullable=False),
        sa.Column("bank_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["bank_id"], ["banks.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["review_item_id"], ["review_items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("review_item_id", "bank_id"),
    )
    op.create_index("ix_review_item_banks_bank_id", "review_item_banks", ["bank_id"])
    op.create_table(
        "user_reports",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client", sa.String(length=128), nullable=False),
        sa.Column("reporter_id", sa.String(length=256), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("signal_type", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("review_item_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["review_item_id"], ["review_items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_user_reports_client", "user_reports", ["client"])
    op.create_index("ix_user_reports_review_item_id", "user_reports", ["review_item_id"])
    op.create_table(
        "appeals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client", sa.String(length=128), nullable=False),
        sa.Column("decision_id", BigId, nullable=False),
        sa.Column("appellant_id", sa.String(length=256), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("review_item_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["decision_id"], ["review_decisions.id"]),
        sa.ForeignKeyConstraint(["review_item_id"], ["review_items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_appeals_client", "appeals", ["client"])
    op.create_index("ix_appeals_decision_id", "appeals", ["decision_id"])
    op.create_index("ix_appeals_review_item_id", "appeals", ["review_item_id"])
    op.create_table(
        "evidence_objects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("screening_id", sa.String(length=36), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("details", sa.LargeBinary(), nullable=False),
        sa.Column("media_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retain_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hold_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hold_reason", sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_evidence_objects_screening_id", "evidence_objects", ["screening_id"])
    op.create_index("ix_evidence_objects_sha256", "evidence_objects", ["sha256"])
    op.create_index("ix_evidence_objects_retain_until", "evidence_objects", ["retain_until"])
    op.create_table(
        "evidence_access",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("evidence_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_evidence_access_evidence_id", "evidence_access", ["evidence_id"])
    op.create_index("ix_evidence_access_actor_at", "evidence_access", ["actor", "at"])


def downgrade() -> None:
    op.drop_table("evidence_access")
    op.drop_table("evidence_objects")
    op.drop_table("appeals")
    op.drop_table("user_reports")
    op.drop_table("review_item_banks")
    op.drop_table("review_item_screenings")
    with op.batch_alter_table("review_items") as batch:
        batch.drop_constraint(_OPEN_KEY, type_="unique")
        batch.drop_column("open_key")
        batch.drop_column("priority")
