"""`worker.name_key` (the workers list's pinyin order): the migration fills it for workers
registered before it, and every way a worker is written keeps it in step with the name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server.db import migrate
from server.db.session import make_engine
from server.registry.models import Worker
from tests.factories import make_id_number


def test_the_migration_fills_the_key_of_existing_workers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    cfg = migrate.alembic_config(url)
    command.upgrade(cfg, "0013_phone_notice_objection")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for name in ("张伟", "阿明"):
                conn.execute(
                    sa.text(
                        "INSERT INTO worker (name, id_number, gender, nation, birth_date, address,"
                        " id_issuer, bank_name, face_consent, blocklisted, blocklist_reason,"
                        " created_at, updated_at) VALUES (:n, :i, 'M', '', '1980-01-01', '', '',"
                        " '', 0, 0, '', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                    ),
                    {"n": name, "i": make_id_number()},
                )
        command.upgrade(cfg, "0013_worker_name_key")
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT name, name_key FROM worker ORDER BY name_key"))
            assert [tuple(r) for r in rows] == [("阿明", "a1ming2"), ("张伟", "zhang1wei3")]
        command.downgrade(cfg, "0013_phone_notice_objection")
        assert "name_key" not in {c["name"] for c in sa.inspect(engine).get_columns("worker")}
    finally:
        engine.dispose()


def test_bulk_inserts_and_renames_keep_the_key(session: Session) -> None:
    # the roster import inserts new workers in bulk (server/registry/service.py)
    session.execute(
        insert(Worker),
        [{"name": n, "id_number": make_id_number(), "gender": "M",
          "birth_date": dt.date(1980, 1, 1)} for n in ("吕布", "单田")],
    )  # fmt: skip
    keys = dict(session.execute(select(Worker.name, Worker.name_key)).all())
    assert keys["吕布"] == "lv3bu4"
    assert keys["单田"] == "shan4tian2"
    worker = session.scalars(select(Worker).where(Worker.name == "吕布")).one()
    worker.name = "阿布"  # e.g. the ID card reader corrects a name (server/ingest)
    session.flush()
    assert session.scalar(select(Worker.name_key).where(Worker.id == worker.id)) == "a1bu4"
