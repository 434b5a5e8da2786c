"""user password flags: user_account.must_change_password

An admin who resets a forgotten password hands out a temporary one; the flag makes its owner
choose their own before anything else. Existing accounts keep working (server default false).

Revision ID: 0004_user_password_flags
Revises: 0003_gate_confirmers
Create Date: 2026-11-23 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_user_password_flags"
down_revision: str | Sequence[str] | None = "0003_gate_confirmers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
