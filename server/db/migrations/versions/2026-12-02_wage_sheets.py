"""wage sheets: 工资支付表 per project × firm × month, its lines, items and line history

Lines and their sources are RESTRICT on delete: the payroll ledger keeps them (Art. 15).

Revision ID: 0007_wage_sheets
Revises: 0006_auth_throttle
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0007_wage_sheets"
down_revision: str | Sequence[str] | None = "0006_auth_throttle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wage_sheet",
        sa.Column(
            "project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("team_key", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("payer_name", sa.String(length=128), nullable=False),
        sa.Column("payer_bank", sa.String(length=128), nullable=False),
        sa.Column("payer_account", sa.String(length=32), nullable=False),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("sent_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locked_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("lock_reason", sa.Text(), nullable=True),
        sa.Column("paid_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column(
            "net_total_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
            name=op.f("fk_wage_sheet_company_id_company"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user_account.id"],
            name=op.f("fk_wage_sheet_created_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["locked_by"],
            ["user_account.id"],
            name=op.f("fk_wage_sheet_locked_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_wage_sheet_project_id_project"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_wage_sheet_team_id_team"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wage_sheet")),
        sa.UniqueConstraint(
            "project_id",
            "company_id",
            "period",
            "team_key",
            name=op.f("uq_wage_sheet_project_id_company_id_period_team_key"),
        ),
    )
    with op.batch_alter_table("wage_sheet", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wage_sheet_period"), ["period"], unique=False)
        batch_op.create_index(batch_op.f("ix_wage_sheet_project_id"), ["project_id"], unique=False)

    op.create_table(
        "wage_line",
        sa.Column("sheet_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column(
            "worker_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "assignment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("team_name", sa.String(length=64), nullable=False),
        sa.Column("trade", sa.String(length=32), nullable=False),
        sa.Column("bank_card", sa.String(length=19), nullable=False),
        sa.Column("bank_name", sa.String(length=64), nullable=False),
        sa.Column("wage_kind", sa.String(length=16), nullable=False),
        sa.Column("rate_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("half_days", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("corrected_days", sa.Integer(), nullable=False),
        sa.Column("day_marks", sa.String(length=31), nullable=False),
        sa.Column("base_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "piece_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "additions_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "deductions_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "gross_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("net_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("shown_hash", sa.String(length=64), nullable=False),
        sa.Column("sent_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", server.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("confirmed_hash", sa.String(length=64), nullable=True),
        sa.Column("confirmed_via", sa.String(length=16), nullable=True),
        sa.Column("confirmed_device", sa.String(length=64), nullable=True),
        sa.Column(
            "confirmed_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
            name=op.f("fk_wage_line_assignment_id_assignment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_wage_line_project_id_project"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["wage_sheet.id"],
            name=op.f("fk_wage_line_sheet_id_wage_sheet"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker.id"],
            name=op.f("fk_wage_line_worker_id_worker"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wage_line")),
        sa.UniqueConstraint("sheet_id", "worker_id", name=op.f("uq_wage_line_sheet_id_worker_id")),
    )
    with op.batch_alter_table("wage_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wage_line_sheet_id"), ["sheet_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wage_line_worker_id"), ["worker_id"], unique=False)

    op.create_table(
        "wage_item",
        sa.Column("line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=256), nullable=False),
        sa.Column(
            "amount_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.String(length=24), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column(
            "unit_price_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "author_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["user_account.id"],
            name=op.f("fk_wage_item_author_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["wage_line.id"],
            name=op.f("fk_wage_item_line_id_wage_line"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wage_item")),
    )
    with op.batch_alter_table("wage_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wage_item_line_id"), ["line_id"], unique=False)

    op.create_table(
        "wage_line_event",
        sa.Column("line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("line_hash", sa.String(length=64), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("device_code", sa.String(length=64), nullable=True),
        sa.Column(
            "device_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("claimed_days", sa.String(length=8), nullable=True),
        sa.Column(
            "claimed_net_fen", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["wage_line.id"],
            name=op.f("fk_wage_line_event_line_id_wage_line"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_wage_line_event_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wage_line_event")),
    )
    with op.batch_alter_table("wage_line_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wage_line_event_line_id"), ["line_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wage_line_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wage_line_event_line_id"))

    op.drop_table("wage_line_event")
    with op.batch_alter_table("wage_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wage_item_line_id"))

    op.drop_table("wage_item")
    with op.batch_alter_table("wage_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wage_line_worker_id"))
        batch_op.drop_index(batch_op.f("ix_wage_line_sheet_id"))

    op.drop_table("wage_line")
    with op.batch_alter_table("wage_sheet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wage_sheet_project_id"))
        batch_op.drop_index(batch_op.f("ix_wage_sheet_period"))

    op.drop_table("wage_sheet")
