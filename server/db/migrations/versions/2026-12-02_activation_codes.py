"""activation codes: one-time codes a worker signs up with (ID number + code)

Most workers have no account; the site office issues each a code (only its HMAC is stored)
that creates the worker's own account once (server/auth/activation.py).

Revision ID: 0008_activation_codes
Revises: 0011_chain_purpose
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.db.types import UTCDateTime

revision: str = "0008_activation_codes"
down_revision: str | Sequence[str] | None = "0011_chain_purpose"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "activation_code",
        sa.Column("id", BigId, nullable=False),
        sa.Column("worker_id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_by_user_id", BigId, nullable=True),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("voided_at", UTCDateTime(), nullable=True),
        sa.Column("user_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker.id"],
            name=op.f("fk_activation_code_worker_id_worker"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_activation_code_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_user_id"],
            ["user_account.id"],
            name=op.f("fk_activation_code_issued_by_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_activation_code_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_code")),
    )
    op.create_index(op.f("ix_activation_code_worker_id"), "activation_code", ["worker_id"])
    op.create_index(op.f("ix_activation_code_project_id"), "activation_code", ["project_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_activation_code_project_id"), table_name="activation_code")
    op.drop_index(op.f("ix_activation_code_worker_id"), table_name="activation_code")
    op.drop_table("activation_code")
