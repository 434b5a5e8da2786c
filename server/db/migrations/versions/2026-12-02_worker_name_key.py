"""worker name key: the pinyin sort key of each worker's name, for the workers list's order

Adds `worker.name_key` (server/registry/rules.py `name_sort_key`) and fills it for every
worker already registered, in batches, so the list is ordered 阿 before 张 by the database.

Revision ID: 0013_worker_name_key
Revises: 0013_phone_notice_objection
Create Date: 2026-12-02 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.registry.rules import name_sort_key

revision: str = "0013_worker_name_key"
down_revision: str | Sequence[str] | None = "0013_phone_notice_objection"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table("worker") as batch:
        batch.add_column(sa.Column("name_key", sa.String(255), nullable=False, server_default=""))
    bind = op.get_bind()
    worker = sa.table("worker", sa.column("id", sa.BigInteger), sa.column("name", sa.String),
                      sa.column("name_key", sa.String))  # fmt: skip
    last = 0
    while True:
        rows = bind.execute(
            sa.select(worker.c.id, worker.c.name)
            .where(worker.c.id > last)
            .order_by(worker.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        bind.execute(
            worker.update()
            .where(worker.c.id == sa.bindparam("wid"))
            .values(name_key=sa.bindparam("key")),
            [{"wid": wid, "key": name_sort_key(name)} for wid, name in rows],
        )
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("worker") as batch:
        batch.drop_column("name_key")
