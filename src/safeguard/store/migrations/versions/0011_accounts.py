"""accounts: users' age evidence, age-assurance providers and outcomes, connections

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client", sa.String(length=128), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=False),
        sa.Column("declared_age", sa.Integer(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("declared_at", _WHEN, nullable=True),
        sa.Column("parent_user_id", sa.String(length=256), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client", "user_id", name="uq_accounts_client_user"),
    )
    op.create_table(
        "age_assurance_providers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client", "name", name="uq_age_assurance_providers"),
    )
    op.create_table(
        "age_assurance_outcomes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("provider_id", sa.String(length=36), nullable=True),
        sa.Column("reference", sa.String(length=256), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("assured_at", _WHEN, nullable=False),
        sa.Column("received_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["age_assurance_providers.id"], ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_id", "reference", name="uq_age_assurance_reference"),
    )
    op.create_index(
        "ix_age_assurance_outcomes_account_id", "age_assurance_outcomes", ["account_id"]
    )
    op.create_table(
        "account_connections",
        sa.Column("client", sa.String(length=128), nullable=False),
        sa.Column("first_user_id", sa.String(length=256), nullable=False),
        sa.Column("second_user_id", sa.String(length=256), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("client", "first_user_id", "second_user_id"),
    )


def downgrade() -> None:
    op.drop_table("account_connections")
    op.drop_index("ix_age_assurance_outcomes_account_id", table_name="age_assurance_outcomes")
    op.drop_table("age_assurance_outcomes")
    op.drop_table("age_assurance_providers")
    op.drop_table("accounts")
