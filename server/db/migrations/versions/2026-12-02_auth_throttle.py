"""auth throttle: failed attempts by client address and account, known sign-in addresses

Replaces the per-account lockout (user_account.failed_logins / locked_until), which let anyone
keep a known account locked, with counters per address, per account × address and per account
from unknown addresses (server/auth/throttle.py). Open lockouts are not carried over: they end
within a minute anyway.

Revision ID: 0006_auth_throttle
Revises: 0005_chain_ack_tip
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.db.types import UTCDateTime

revision: str = "0006_auth_throttle"
down_revision: str | Sequence[str] | None = "0005_chain_ack_tip"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_throttle",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", UTCDateTime(), nullable=True),
        sa.Column("blocked_until", UTCDateTime(), nullable=True),
        sa.Column("strikes", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_auth_throttle_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_throttle")),
    )
    op.create_index(op.f("ix_auth_throttle_user_id"), "auth_throttle", ["user_id"])
    op.create_index(op.f("ix_auth_throttle_updated_at"), "auth_throttle", ["updated_at"])
    op.create_table(
        "auth_known_address",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("last_success_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_auth_known_address_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_known_address")),
        sa.UniqueConstraint(
            "user_id", "address", name=op.f("uq_auth_known_address_user_id_address")
        ),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
    op.drop_table("auth_known_address")
    op.drop_index(op.f("ix_auth_throttle_updated_at"), table_name="auth_throttle")
    op.drop_index(op.f("ix_auth_throttle_user_id"), table_name="auth_throttle")
    op.drop_table("auth_throttle")
