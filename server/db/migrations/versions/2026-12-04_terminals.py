"""face terminals: the terminal columns of device, terminal_ref on gate_event, and the command
queue, the users each terminal holds and its serial gaps (server/terminals)

Revision ID: 0016_terminals
Revises: 0015_liveness
Create Date: 2026-12-04 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.db.types import UTCDateTime

revision: str = "0016_terminals"
down_revision: str | Sequence[str] | None = "0015_liveness"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vendor", sa.String(16), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("serial_number", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("approved_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("terminal_url", sa.String(255), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("terminal_user", sa.String(64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("terminal_secret", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("terminal_serial_high", BigId, nullable=False, server_default="0")
        )
        batch_op.create_unique_constraint("uq_device_serial_number", ["serial_number"])
    with op.batch_alter_table("gate_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("terminal_ref", sa.String(128), nullable=True))
        batch_op.create_unique_constraint(
            "uq_gate_event_device_id_terminal_ref", ["device_id", "terminal_ref"]
        )
    op.create_table(
        "terminal_command",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("device_id", BigId, nullable=False),
        sa.Column("worker_id", BigId, nullable=True),
        sa.Column("pin", sa.String(24), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("return_code", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name="fk_terminal_command_device_id_device",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_terminal_command"),
    )  # fmt: skip
    op.create_index(
        "ix_terminal_command_device_state", "terminal_command", ["device_id", "state", "id"]
    )
    op.create_table(
        "terminal_user",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("device_id", BigId, nullable=False),
        sa.Column("worker_id", BigId, nullable=False),
        sa.Column("pin", sa.String(24), nullable=False),
        sa.Column("access", sa.String(8), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name="fk_terminal_user_device_id_device",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_terminal_user"),
        sa.UniqueConstraint("device_id", "pin", name="uq_terminal_user_device_id_pin"),
    )  # fmt: skip
    op.create_index("ix_terminal_user_worker_id", "terminal_user", ["worker_id"])
    op.create_table(
        "terminal_gap",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("device_id", BigId, nullable=False),
        sa.Column("from_serial", BigId, nullable=False),
        sa.Column("to_serial", BigId, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name="fk_terminal_gap_device_id_device",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_terminal_gap"),
        sa.UniqueConstraint("device_id", "from_serial", name="uq_terminal_gap_device_id_from_serial"),
    )  # fmt: skip

    op.create_table(
        "face_photo",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("worker_id", BigId, nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name="fk_face_photo_worker_id_worker",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_face_photo"),
        sa.UniqueConstraint("worker_id", name="uq_face_photo_worker_id"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("face_photo")
    op.drop_table("terminal_gap")
    op.drop_index("ix_terminal_user_worker_id", table_name="terminal_user")
    op.drop_table("terminal_user")
    op.drop_index("ix_terminal_command_device_state", table_name="terminal_command")
    op.drop_table("terminal_command")
    with op.batch_alter_table("gate_event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_gate_event_device_id_terminal_ref", type_="unique")
        batch_op.drop_column("terminal_ref")
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_constraint("uq_device_serial_number", type_="unique")
        for name in (
            "terminal_serial_high", "terminal_secret", "terminal_user", "terminal_url",
            "approved_at", "serial_number", "vendor",
        ):  # fmt: skip
            batch_op.drop_column(name)
