"""notice board and objections: the structured 维权信息告示牌 of a project (Art. 34) and a
worker's objection to a month's days or pay

Revision ID: 0013_phone_notice_objection
Revises: 0012_ledger_retention
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0013_phone_notice_objection"
down_revision: str | Sequence[str] | None = "0012_ledger_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notice_board",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("officer_name", sa.String(length=32), nullable=False),
        sa.Column("officer_phone", sa.String(length=24), nullable=False),
        sa.Column("min_wage_month_fen", sa.Integer(), nullable=True),
        sa.Column("min_wage_hour_fen", sa.Integer(), nullable=True),
        sa.Column("pay_day", sa.Integer(), nullable=True),
        sa.Column("inspection_phone", sa.String(length=24), nullable=False),
        sa.Column("housing_phone", sa.String(length=24), nullable=False),
        sa.Column("arbitration_phone", sa.String(length=24), nullable=False),
        sa.Column("legal_aid_phone", sa.String(length=24), nullable=False),
        sa.Column("updated_by_user_id", _ID, nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_notice_board_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"], ["user_account.id"],
            name=op.f("fk_notice_board_updated_by_user_id_user_account"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_board")),
        sa.UniqueConstraint("project_id", name=op.f("uq_notice_board_project_id")),
    )  # fmt: skip
    op.create_table(
        "objection",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("worker_id", _ID, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("replied_by_user_id", _ID, nullable=True),
        sa.Column("replied_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_objection_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_objection_worker_id_worker"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["replied_by_user_id"], ["user_account.id"],
            name=op.f("fk_objection_replied_by_user_id_user_account"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
    )  # fmt: skip
    op.create_index("ix_objection_project_status", "objection", ["project_id", "status"])
    op.create_index(op.f("ix_objection_worker_id"), "objection", ["worker_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_objection_worker_id"), table_name="objection")
    op.drop_index("ix_objection_project_status", table_name="objection")
    op.drop_table("objection")
    op.drop_table("notice_board")
