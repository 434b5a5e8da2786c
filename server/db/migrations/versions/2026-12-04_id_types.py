"""ID types: worker.id_card_type (models.ids.IdType, the platform's idCardType); every existing
worker was registered with a 居民身份证, code 01

Revision ID: 0020_id_types
Revises: 0019_complaints
Create Date: 2026-12-04 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_id_types"
down_revision: str | Sequence[str] | None = "0019_complaints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("worker", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("id_card_type", sa.String(2), nullable=False, server_default="01")
        )


def downgrade() -> None:
    with op.batch_alter_table("worker", schema=None) as batch_op:
        batch_op.drop_column("id_card_type")
