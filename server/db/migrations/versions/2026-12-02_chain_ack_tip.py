"""chain ack tip: what ingest acknowledged, gate clock skew, voided passes

device.acked_count / acked_at: every event ingest stored for the gate (backfilled from the rows
stored now, the best figure there is for the past); with highest_contiguous_seq and
chain_tip_hash the chain check sees records deleted at the end of a chain.
device.clock_skew_at: when clock_skew_ms was observed (heartbeat, batch or refused stale request).
gate_event.clock_skew_s: the gate's clock skew when its batch was received.
gate_event.voids_seq (hashed) / voided_by_seq: a "not passed" follow-up and the granted record
it voids; the roster's covering index gains voided_by_seq so rosters stay index-only.

Revision ID: 0005_chain_ack_tip
Revises: 0004_user_password_flags
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0005_chain_ack_tip"
down_revision: str | Sequence[str] | None = "0004_user_password_flags"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COVER = ["project_id", "device_time", "worker_id", "direction", "result"]


def upgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acked_count", BigId, server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("acked_at", server.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("clock_skew_at", server.db.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE device SET acked_count = "
        "(SELECT count(*) FROM gate_event WHERE gate_event.device_id = device.id)"
    )
    with op.batch_alter_table("gate_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voids_seq", BigId, nullable=True))
        batch_op.add_column(sa.Column("voided_by_seq", BigId, nullable=True))
        batch_op.add_column(sa.Column("clock_skew_s", BigId, nullable=True))
        batch_op.drop_index("ix_gate_event_project_time_cover")
        batch_op.create_index(
            "ix_gate_event_project_time_cover", [*COVER, "voided_by_seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("gate_event", schema=None) as batch_op:
        batch_op.drop_index("ix_gate_event_project_time_cover")
        batch_op.create_index("ix_gate_event_project_time_cover", COVER, unique=False)
        batch_op.drop_column("clock_skew_s")
        batch_op.drop_column("voided_by_seq")
        batch_op.drop_column("voids_seq")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_column("clock_skew_at")
        batch_op.drop_column("acked_at")
        batch_op.drop_column("acked_count")
