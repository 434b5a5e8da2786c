"""chain purpose: records that are not passes (a worker's wage confirmation at a station)

gate_event.purpose (hashed, NULL for a pass attempt) and gate_event.subject_hash (hashed, the
wage line's shown_hash on a wage_confirm record). The roster's covering index gains `purpose`,
so rosters that count only pass attempts stay index-only.

Revision ID: 0011_chain_purpose
Revises: 0009_recon_payer_stale
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_chain_purpose"
down_revision: str | Sequence[str] | None = "0009_recon_payer_stale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVER = ["project_id", "device_time", "worker_id", "direction", "result", "voided_by_seq"]


def upgrade() -> None:
    with op.batch_alter_table("gate_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "purpose",
                sa.Enum("wage_confirm", name="record_purpose", native_enum=False, length=32),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("subject_hash", sa.String(length=64), nullable=True))
        batch_op.drop_index("ix_gate_event_project_time_cover")
        batch_op.create_index("ix_gate_event_project_time_cover", [*COVER, "purpose"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("gate_event", schema=None) as batch_op:
        batch_op.drop_index("ix_gate_event_project_time_cover")
        batch_op.create_index("ix_gate_event_project_time_cover", COVER, unique=False)
        batch_op.drop_column("subject_hash")
        batch_op.drop_column("purpose")
