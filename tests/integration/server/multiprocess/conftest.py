"""Several server processes on one PostgreSQL database (issue 17): a scratch database made and
dropped for this module, seeded here, served by real `sitegate server` subprocesses.

PostgreSQL only: on SQLite `--workers 2` is refused (tests/unit/server/test_workers.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth import service as auth_service
from server.auth.models import AuditLog
from server.db import migrate
from server.db.session import make_engine, normalise_url
from server.registry.models import Device
from tests.integration.server.multiprocess.mp_support import BASE, PASSWORD, Server, World
from tests.integration.server.reconciliation.recon_support import build_month


@pytest.fixture(scope="session")
def mp_db() -> Iterator[str]:
    """`sitegate_mp_<random>` on the test server, migrated; dropped at the end."""
    base = make_url(normalise_url(BASE))
    name = f"sitegate_mp_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def world(mp_db: str) -> World:
    engine = make_engine(mp_db)
    with Session(engine, expire_on_commit=False) as s:
        month = build_month(s)
        # A gate provisioned ten days ago: the project's digests start that day (the issuer
        # has ten days to issue when the servers start).
        device = s.scalars(select(Device).where(Device.project_id == month.project.id)).first()
        assert device is not None
        s.add(
            AuditLog(
                at=dt.datetime.now(dt.UTC) - dt.timedelta(days=10),
                project_id=month.project.id,
                action="provision",
                entity="device",
                entity_id=device.id,
            )
        )
        for username in ("boss", "locked", "importer"):
            auth_service.create_user(s, username=username, password=PASSWORD, role=Role.ADMIN)
        s.commit()
    engine.dispose()
    return World(mp_db, month)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mp-data")


@pytest.fixture(scope="session")
def two_workers(world: World, data_dir: Path) -> Iterator[Server]:
    """`sitegate server --workers 2`, the digest issuer every second."""
    server = Server(world.url, data_dir, workers=2, digest_s=1)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pair(world: World, data_dir: Path) -> Iterator[tuple[Server, Server]]:
    """Two single-worker servers on two ports, the same database: two processes for sure."""
    a = Server(world.url, data_dir, workers=1)
    b = Server(world.url, data_dir, workers=1)
    try:
        a.wait_ready()
        b.wait_ready()
        yield a, b
    finally:
        a.stop()
        b.stop()
