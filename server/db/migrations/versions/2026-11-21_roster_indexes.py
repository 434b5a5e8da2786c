"""roster indexes: gate_event (project_id, device_time) becomes covering for the monthly roster

The monthly roster reads every granted event of a project-month (≈ 300,000 rows for 5,000
workers): worker, direction, result and time. With these columns in the index, SQLite answers
from the index alone instead of one table lookup per event (the query went from ≈ 1.1 s to
≈ 0.2 s), and PostgreSQL can use an index-only scan. The new index keeps the old one's leading
columns, so it serves every query the old one did; the old one is dropped rather than kept
beside it, so ingest maintains one index there, not two.

Revision ID: 0002_roster_indexes
Revises: 0001
Create Date: 2026-11-21 22:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_roster_indexes"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("gate_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gate_event_project_time_cover",
            ["project_id", "device_time", "worker_id", "direction", "result"],
            unique=False,
        )
        batch_op.drop_index("ix_gate_event_project_time")


def downgrade() -> None:
    with op.batch_alter_table("gate_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gate_event_project_time", ["project_id", "device_time"], unique=False
        )
        batch_op.drop_index("ix_gate_event_project_time_cover")
