"""gate event liveness: the live-person check of a face attempt, hashed like the other fields

gate_event.liveness (passed / failed / timeout, NULL when the project does not check): sealed in
the gate's record, so the server stores it to recompute the hash.

Revision ID: 0015_liveness
Revises: 0014_checkpoints
Create Date: 2026-12-03 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_liveness"
down_revision: str | Sequence[str] | None = "0014_checkpoints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("gate_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "liveness",
                sa.Enum(
                    "passed",
                    "failed",
                    "timeout",
                    name="liveness_result",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("gate_event", schema=None) as batch_op:
        batch_op.drop_column("liveness")
