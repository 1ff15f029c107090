"""index only the messages that still hold text

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_HELD = sa.text("text IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_conversation_messages_received_at", table_name="conversation_messages")
    op.create_index(
        "ix_messages_text_held_received_at",
        "conversation_messages",
        ["received_at"],
        postgresql_where=_HELD,
        sqlite_where=_HELD,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_text_held_received_at", table_name="conversation_messages")
    op.create_index(
        "ix_conversation_messages_received_at", "conversation_messages", ["received_at"]
    )
