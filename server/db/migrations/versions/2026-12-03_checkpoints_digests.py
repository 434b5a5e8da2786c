"""checkpoints and daily digests: evidence that holds against whoever runs the server

gate_event.checkpoint (hashed, the device's seal on a checkpoint record); gate_checkpoint, ingest's
check of each checkpoint against the stored records of its range; daily_digest, each day's
checkpoints of a project signed by the server's key, chained day to day.

Revision ID: 0014_checkpoints
Revises: 0013_chain_check
Create Date: 2026-12-03 08:14:28.095743
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0014_checkpoints"
down_revision: str | Sequence[str] | None = "0013_chain_check"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "daily_digest",
        sa.Column(
            "project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("issued_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("prev_sha256", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("server_key_fingerprint", sa.String(length=16), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_daily_digest_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_digest")),
        sa.UniqueConstraint("project_id", "day", name=op.f("uq_daily_digest_project_id_day")),
    )
    op.create_table(
        "gate_checkpoint",
        sa.Column(
            "device_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("from_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("to_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("tip_hash", sa.String(length=64), nullable=False),
        sa.Column("records_root", sa.String(length=64), nullable=False),
        sa.Column("workers_root", sa.String(length=64), nullable=False),
        sa.Column("prev_checkpoint_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("key_fingerprint", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("received_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verified_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_gate_checkpoint_device_id_device")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_gate_checkpoint_project_id_project")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_checkpoint")),
        sa.UniqueConstraint("device_id", "seq", name=op.f("uq_gate_checkpoint_device_id_seq")),
    )
    with op.batch_alter_table("gate_checkpoint", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gate_checkpoint_project_received", ["project_id", "received_at"], unique=False
        )

    # A plain ADD COLUMN (no table copy on SQLite): gate_event is the largest table.
    op.add_column("gate_event", sa.Column("checkpoint", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gate_event", schema=None) as batch_op:
        batch_op.drop_column("checkpoint")

    with op.batch_alter_table("gate_checkpoint", schema=None) as batch_op:
        batch_op.drop_index("ix_gate_checkpoint_project_received")

    op.drop_table("gate_checkpoint")
    op.drop_table("daily_digest")
