"""platform uploads: attendance batches, payload digests, the account's gate options

Revision ID: 0018_platform_uploads
Revises: 0017_platform
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_platform_uploads"
down_revision: str | Sequence[str] | None = "0017_platform"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("platform_account") as batch:
        batch.add_column(sa.Column("options", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("platform_job") as batch:
        batch.add_column(sa.Column("team_id", BigId, nullable=True))
        batch.add_column(sa.Column("items", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("payload_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("platform_job") as batch:
        batch.drop_column("payload_digest")
        batch.drop_column("items")
        batch.drop_column("team_id")
    with op.batch_alter_table("platform_account") as batch:
        batch.drop_column("options")
