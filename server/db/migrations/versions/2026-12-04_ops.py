"""operations: project settlement (the start of the three-year retention) and per-gate
retention boundaries (server/ops)

Revision ID: 0022_ops
Revises: 0021_safeguards
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.db.types import UTCDateTime

revision: str = "0022_ops"
down_revision: str | Sequence[str] | None = "0021_safeguards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "project_settlement",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"],
            name="fk_project_settlement_project_id_project", ondelete="CASCADE",
        ),
        sa.UniqueConstraint("project_id", name="uq_project_settlement_project_id"),
    )
    op.create_table(
        "retention_boundary",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("device_id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("through_seq", BigId, nullable=False),
        sa.Column("through_hash", sa.String(64), nullable=False),
        sa.Column("through_time", UTCDateTime(), nullable=False),
        sa.Column("records", BigId, nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"],
            name="fk_retention_boundary_device_id_device", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"],
            name="fk_retention_boundary_project_id_project", ondelete="CASCADE",
        ),
        sa.UniqueConstraint("device_id", name="uq_retention_boundary_device_id"),
    )
    op.create_index(
        "ix_retention_boundary_project_id", "retention_boundary", ["project_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_retention_boundary_project_id", table_name="retention_boundary")
    op.drop_table("retention_boundary")
    op.drop_table("project_settlement")
