"""regulators' platform: the project's account and the upload queue (server/platform)

Revision ID: 0017_platform
Revises: 0016_terminals
Create Date: 2026-12-04 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.db.types import UTCDateTime

revision: str = "0017_platform"
down_revision: str | Sequence[str] | None = "0016_terminals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "platform_account",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("profile", sa.String(32), nullable=False),
        sa.Column("base_url", sa.String(255), nullable=False),
        sa.Column("appid", sa.String(64), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_platform_account_project_id_project",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_platform_account"),
        sa.UniqueConstraint("project_id", name="uq_platform_account_project_id"),
    )  # fmt: skip
    op.create_table(
        "platform_job",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("project_id", BigId, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("subject_id", BigId, nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("request_serial_code", sa.String(64), nullable=True),
        sa.Column("remote_id", sa.String(64), nullable=True),
        sa.Column("code", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name="fk_platform_job_project_id_project",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_platform_job"),
        sa.UniqueConstraint(
            "project_id", "kind", "subject_id", name="uq_platform_job_project_id_kind_subject_id"
        ),
    )  # fmt: skip
    op.create_index(
        "ix_platform_job_due", "platform_job", ["project_id", "state", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_platform_job_due", table_name="platform_job")
    op.drop_table("platform_job")
    op.drop_table("platform_account")
