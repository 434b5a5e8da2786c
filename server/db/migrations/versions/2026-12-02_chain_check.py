"""chain check: the latest full re-check of a project's gate chains, with its progress

One row per project (the inspector's "全部重新校验" runs outside the request; its state is here,
not in one process's memory, so every server process and a reload see the same progress and
result, and a second start while one runs is refused by the row, not by a lock in memory).

Revision ID: 0013_chain_check
Revises: 0013_worker_name_key
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0013_chain_check"
down_revision: str | Sequence[str] | None = "0013_worker_name_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "chain_check",
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_by", BigId, nullable=True),
        sa.Column("gates_total", BigId, nullable=False),
        sa.Column("gates_done", BigId, nullable=False),
        sa.Column("events_total", BigId, nullable=False),
        sa.Column("events_done", BigId, nullable=False),
        sa.Column("problems_total", BigId, nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_chain_check_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by"],
            ["user_account.id"],
            name=op.f("fk_chain_check_started_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_check")),
        sa.UniqueConstraint("project_id", name=op.f("uq_chain_check_project_id")),
    )


def downgrade() -> None:
    op.drop_table("chain_check")
