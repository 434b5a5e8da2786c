"""complaints (欠薪线索): a worker's or an inspector's wage complaint and its history

Revision ID: 0019_complaints
Revises: 0018_platform_uploads
Create Date: 2026-12-04 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.db.types import UTCDateTime

revision: str = "0019_complaints"
down_revision: str | Sequence[str] | None = "0018_platform_uploads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "complaint",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("worker_id", BigId, nullable=True),
        sa.Column("person_name", sa.String(64), nullable=False),
        sa.Column("person_phone", sa.String(24), nullable=False),
        sa.Column("person_id_number", sa.String(18), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("periods", sa.String(200), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("against", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_user_id", BigId, nullable=True),
        sa.Column("filed_by_user_id", BigId, nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closing_note", sa.Text(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_complaint_project_id_project",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name="fk_complaint_worker_id_worker", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"], ["user_account.id"],
            name="fk_complaint_owner_user_id_user_account", ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_user_id"], ["user_account.id"],
            name="fk_complaint_filed_by_user_id_user_account", ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_complaint"),
    )  # fmt: skip
    op.create_index("ix_complaint_project_status", "complaint", ["project_id", "status"])
    op.create_index("ix_complaint_worker_id", "complaint", ["worker_id"])
    op.create_table(
        "complaint_event",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("complaint_id", BigId, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("author_user_id", BigId, nullable=True),
        sa.Column("author_name", sa.String(64), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaint.id"], name="fk_complaint_event_complaint_id_complaint",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"], ["user_account.id"],
            name="fk_complaint_event_author_user_id_user_account", ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_complaint_event"),
    )  # fmt: skip
    op.create_index("ix_complaint_event_complaint_id", "complaint_event", ["complaint_id"])


def downgrade() -> None:
    op.drop_index("ix_complaint_event_complaint_id", table_name="complaint_event")
    op.drop_table("complaint_event")
    op.drop_index("ix_complaint_worker_id", table_name="complaint")
    op.drop_index("ix_complaint_project_status", table_name="complaint")
    op.drop_table("complaint")
