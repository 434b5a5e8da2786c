"""recon payer stale: the paying account of a payment, corrections to closed months awaiting a
second person's approval, and a stale mark on a month's stored reconciliation

payroll_line.payer_account_no: 付款账号 from the bank file (None: the file did not say);
reconciliation compares it with the project's wage account (PAID_NOT_FROM_WAGE_ACCOUNT).
attendance_correction.status (effective / pending / approved / rejected; existing rows are
effective), closed_reason, decided_by_user_id, decided_at, decision_comment.
recon_month_state: per project × month, the last run and whether its findings are stale.

Revision ID: 0009_recon_payer_stale
Revises: 0007_wage_sheets
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.db.types import UTCDateTime

revision: str = "0009_recon_payer_stale"
down_revision: str | Sequence[str] | None = "0007_wage_sheets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("payroll_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payer_account_no", sa.String(length=32), nullable=True))
    with op.batch_alter_table("attendance_correction", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status", sa.String(length=16), server_default="effective", nullable=False
            )
        )
        batch_op.add_column(sa.Column("closed_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("decided_by_user_id", BigId, nullable=True))
        batch_op.add_column(sa.Column("decided_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("decision_comment", sa.Text(), server_default="", nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_attendance_correction_decided_by_user_id_user_account"),
            "user_account",
            ["decided_by_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "recon_month_state",
        sa.Column("id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.Column("stale_at", UTCDateTime(), nullable=True),
        sa.Column("stale_reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_recon_month_state_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_month_state")),
        sa.UniqueConstraint(
            "project_id", "period", name=op.f("uq_recon_month_state_project_id_period")
        ),
    )


def downgrade() -> None:
    op.drop_table("recon_month_state")
    with op.batch_alter_table("attendance_correction", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_attendance_correction_decided_by_user_id_user_account"),
            type_="foreignkey",
        )
        batch_op.drop_column("decision_comment")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by_user_id")
        batch_op.drop_column("closed_reason")
        batch_op.drop_column("status")
    with op.batch_alter_table("payroll_line", schema=None) as batch_op:
        batch_op.drop_column("payer_account_no")
