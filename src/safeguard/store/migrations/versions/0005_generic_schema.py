"""one schema for every signal type: content items, entries of any length keyed by a
digest, per-bank per-signal-type thresholds, screening signals in their own table, clients
that own API keys, and conversation cues

Existing data is kept: each entry becomes a content item of its own (with the entry's id,
external id, labels and source), each bank's PDQ threshold becomes its ``pdq`` threshold,
each screening's md5/sha256/pdq columns become rows of ``screening_signals``, and each API
key gets a client of its own name, so that the records it wrote stay its client's.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_DIGEST_BATCH = 10_000

_entries = sa.table(
    "entries",
    sa.column("id", sa.BigInteger()),
    sa.column("bank_id", sa.String()),
    sa.column("value", sa.Text()),
    sa.column("value_digest", sa.String()),
    sa.column("external_id", sa.String()),
    sa.column("labels", sa.JSON()),
    sa.column("source", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_items = sa.table(
    "content_items",
    sa.column("id", sa.BigInteger()),
    sa.column("bank_id", sa.String()),
    sa.column("external_id", sa.String()),
    sa.column("labels", sa.JSON()),
    sa.column("source", sa.String()),
    sa.column("enabled", sa.Boolean()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_screenings = sa.table(
    "screenings",
    sa.column("id", sa.String()),
    sa.column("md5", sa.String()),
    sa.column("sha256", sa.String()),
    sa.column("pdq", sa.String()),
    sa.column("pdq_quality", sa.Integer()),
)
_screening_signals = sa.table(
    "screening_signals",
    sa.column("screening_id", sa.String()),
    sa.column("signal_type", sa.String()),
    sa.column("value", sa.Text()),
    sa.column("quality", sa.Integer()),
)


def upgrade() -> None:
    _clients()
    _bank_thresholds()
    _content_items()
    _screening_signals_table()
    with op.batch_alter_table("conversation_messages") as batch:
        batch.alter_column(
            "signals", new_column_name="cues", existing_type=sa.JSON(), existing_nullable=False
        )


def _clients() -> None:
    op.create_table(
        "clients",
        sa.Column("name", sa.String(length=128), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute("INSERT INTO clients (name, created_at) SELECT name, created_at FROM api_keys")
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("client", sa.String(length=128), nullable=True))
    op.execute("UPDATE api_keys SET client = name")
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("client", existing_type=sa.String(length=128), nullable=False)
        batch.create_foreign_key("fk_api_keys_client_clients", "clients", ["client"], ["name"])
        batch.create_index("ix_api_keys_client", ["client"])


def _bank_thresholds() -> None:
    op.create_table(
        "bank_thresholds",
        sa.Column("bank_id", sa.String(length=36), nullable=False),
        sa.Column("signal_type", sa.String(length=32), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bank_id"], ["banks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("bank_id", "signal_type"),
    )
    op.execute(
        "INSERT INTO bank_thresholds (bank_id, signal_type, threshold) "
        "SELECT id, 'pdq', pdq_threshold FROM banks"
    )
    with op.batch_alter_table("banks") as batch:
        batch.drop_column("pdq_threshold")


def _content_items() -> None:
    op.create_table(
        "content_items",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("bank_id", sa.String(length=36), nullable=False),
        sa.Column("external_id", sa.String(length=256), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bank_id"], ["banks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_content_items_bank_external", "content_items", ["bank_id", "external_id"])
    columns = ["id", "bank_id", "external_id", "labels", "source", "enabled", "created_at"]
    every_entry = sa.select(
        _entries.c.id,
        _entries.c.bank_id,
        _entries.c.external_id,
        _entries.c.labels,
        _entries.c.source,
        sa.true(),
        _entries.c.created_at,
    )
    op.execute(_items.insert().from_select(columns, every_entry))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('content_items', 'id'), "
            "(SELECT COALESCE(MAX(id), 0) + 1 FROM content_items), false)"
        )
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("content_item_id", BigId, nullable=True))
        batch.add_column(sa.Column("value_digest", sa.String(length=64), nullable=True))
    op.execute("UPDATE entries SET content_item_id = id")
    _fill_value_digests(bind)
    with op.batch_alter_table("entries") as batch:
        batch.drop_constraint("uq_entries_bank_signal_value", type_="unique")
        batch.drop_index("ix_entries_signal_value")
        batch.alter_column("content_item_id", existing_type=BigId, nullable=False)
        batch.alter_column("value_digest", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("value", existing_type=sa.String(length=512), type_=sa.Text())
        batch.drop_column("external_id")
        batch.drop_column("labels")
        batch.drop_column("source")
        batch.create_foreign_key(
            "fk_entries_content_item_id_content_items",
            "content_items",
            ["content_item_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index("ix_entries_content_item_id", ["content_item_id"])
        batch.create_unique_constraint(
            "uq_entries_bank_signal_digest", ["bank_id", "signal_type", "value_digest"]
        )
        batch.create_index("ix_entries_signal_digest", ["signal_type", "value_digest"])


def _fill_value_digests(bind: sa.Connection) -> None:
    """``value_digest``: the SHA-256 (hex) of each value's UTF-8 bytes."""
    if bind.dialect.name == "postgresql":
        op.execute(
            "UPDATE entries SET value_digest = encode(sha256(convert_to(value, 'UTF8')), 'hex')"
        )
        return
    after = 0
    while True:
        page = bind.execute(
            sa.select(_entries.c.id, _entries.c.value)
            .where(_entries.c.id > after)
            .order_by(_entries.c.id)
            .limit(_DIGEST_BATCH)
        ).all()
        if not page:
            return
        bind.execute(
            _entries.update()
            .where(_entries.c.id == sa.bindparam("entry_id"))
            .values(value_digest=sa.bindparam("digest")),
            [
                {"entry_id": i, "digest": hashlib.sha256(v.encode("utf-8")).hexdigest()}
                for i, v in page
            ],
        )
        after = page[-1][0]


def _screening_signals_table() -> None:
    op.create_table(
        "screening_signals",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("screening_id", sa.String(length=36), nullable=False),
        sa.Column("signal_type", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["screening_id"], ["screenings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("screening_id", "signal_type", name="uq_screening_signals_type"),
    )
    columns = ["screening_id", "signal_type", "value", "quality"]
    no_quality = sa.cast(sa.null(), sa.Integer())
    for name, quality in (
        ("md5", no_quality),
        ("sha256", no_quality),
        ("pdq", _screenings.c.pdq_quality),
    ):
        value = _screenings.c[name]
        rows = sa.select(_screenings.c.id, sa.literal(name), value, quality).where(
            value.is_not(None)
        )
        op.execute(_screening_signals.insert().from_select(columns, rows))
    with op.batch_alter_table("screenings") as batch:
        batch.drop_index("ix_screenings_md5")
        batch.drop_column("md5")
        batch.drop_column("sha256")
        batch.drop_column("pdq")
        batch.drop_column("pdq_quality")


def downgrade() -> None:
    """Back to 0004: content items and thresholds of other types than PDQ are lost, and
    values longer than 512 characters must not exist."""
    with op.batch_alter_table("conversation_messages") as batch:
        batch.alter_column(
            "cues", new_column_name="signals", existing_type=sa.JSON(), existing_nullable=False
        )
    with op.batch_alter_table("screenings") as batch:
        batch.add_column(sa.Column("md5", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("pdq", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("pdq_quality", sa.Integer(), nullable=True))
        batch.create_index("ix_screenings_md5", ["md5"])
    for name in ("md5", "sha256", "pdq"):
        op.execute(
            f"UPDATE screenings SET {name} = (SELECT value FROM screening_signals s "
            f"WHERE s.screening_id = screenings.id AND s.signal_type = '{name}')"
        )
    op.execute(
        "UPDATE screenings SET pdq_quality = (SELECT quality FROM screening_signals s "
        "WHERE s.screening_id = screenings.id AND s.signal_type = 'pdq')"
    )
    op.drop_table("screening_signals")
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=256), nullable=True))
        batch.add_column(sa.Column("labels", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("source", sa.String(length=256), nullable=True))
    for name in ("external_id", "labels", "source"):
        op.execute(
            f"UPDATE entries SET {name} = (SELECT {name} FROM content_items i "
            "WHERE i.id = entries.content_item_id)"
        )
    with op.batch_alter_table("entries") as batch:
        batch.alter_column("labels", existing_type=sa.JSON(), nullable=False)
        batch.drop_constraint("uq_entries_bank_signal_digest", type_="unique")
        batch.drop_index("ix_entries_signal_digest")
        batch.drop_index("ix_entries_content_item_id")
        batch.drop_constraint("fk_entries_content_item_id_content_items", type_="foreignkey")
        batch.drop_column("content_item_id")
        batch.drop_column("value_digest")
        batch.alter_column("value", existing_type=sa.Text(), type_=sa.String(length=512))
        batch.create_unique_constraint(
            "uq_entries_bank_signal_value", ["bank_id", "signal_type", "value"]
        )
        batch.create_index("ix_entries_signal_value", ["signal_type", "value"])
    op.drop_index("ix_content_items_bank_external", "content_items")
    op.drop_table("content_items")
    with op.batch_alter_table("banks") as batch:
        batch.add_column(sa.Column("pdq_threshold", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE banks SET pdq_threshold = COALESCE((SELECT threshold FROM bank_thresholds t "
        "WHERE t.bank_id = banks.id AND t.signal_type = 'pdq'), 31)"
    )
    with op.batch_alter_table("banks") as batch:
        batch.alter_column("pdq_threshold", existing_type=sa.Integer(), nullable=False)
    op.drop_table("bank_thresholds")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_index("ix_api_keys_client")
        batch.drop_constraint("fk_api_keys_client_clients", type_="foreignkey")
        batch.drop_column("client")
    op.drop_table("clients")
