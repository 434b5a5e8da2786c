"""gate confirmers: people a project allows to confirm a worker at its gates with their IC card

The legally required alternative to face recognition (RULES.md, Gate decision 3) is the worker's
card plus a confirmation at the gate. Rows are only deactivated, never deleted: gate records name
the confirmer by id. Lookups are by (project, card); "one active row per card" is checked by the
service, not by a partial index, so SQLite and PostgreSQL share one plain schema.

Revision ID: 0003_gate_confirmers
Revises: 0002_roster_indexes
Create Date: 2026-11-22 00:01:59
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0003_gate_confirmers"
down_revision: str | Sequence[str] | None = "0002_roster_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "gate_confirmer",
        sa.Column("project_id", _ID, nullable=False),
        sa.Column("card_uid", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("user_id", _ID, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_gate_confirmer_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_gate_confirmer_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_confirmer")),
    )
    with op.batch_alter_table("gate_confirmer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gate_confirmer_project_card", ["project_id", "card_uid"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("gate_confirmer", schema=None) as batch_op:
        batch_op.drop_index("ix_gate_confirmer_project_card")
    op.drop_table("gate_confirmer")
