"""Shared fixtures: a migrated database (SQLite file, or PostgreSQL via TEST_DATABASE_URL),
a connection-level transaction rolled back after each test, the app wired to it, and a leak check.
"""

from __future__ import annotations

import os
import threading
import time

# Rich consoles fix their width from COLUMNS when the CLI modules are imported; CLI tests read
# whole table rows, so give them a wide terminal whatever the outer environment says.
os.environ["COLUMNS"] = "200"
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from server.app import create_app
from server.auth import service as auth_service
from server.config import Settings
from server.db import migrate
from server.db.session import make_engine, normalise_url
from server.deps import get_session

REPO = Path(__file__).resolve().parents[1]
FACES = (REPO.parent / "shared" / "testdata" / "faces").resolve()

# Production argon2 costs ~0.1-0.9 s per hash; tests sign in hundreds of times.
auth_service.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _postgres_url(base: str) -> tuple[str, Callable[[], None]]:
    """A fresh database for this process (xdist worker and pid in its name), so two runs on one
    machine never drop each other's database; dropped at the end, and databases left behind by
    runs that died (their pid is gone) are dropped at the start."""
    url = make_url(normalise_url(base))
    prefix = f"{url.database or 'test'}_sitegate_"
    name = f"{prefix}{_worker_suffix()}_{os.getpid()}"
    admin = make_engine(url.render_as_string(hide_password=False), echo=False)

    def drop(db: str) -> None:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))

    with admin.connect() as conn:
        existing = conn.execute(
            text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)"), {"p": prefix}
        ).scalars()
        stale = [
            db for db in existing
            if (pid := db.rsplit("_", 1)[-1]).isdigit() and not _pid_alive(int(pid))
        ]  # fmt: skip
    for db in stale:
        drop(db)
    drop(name)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def cleanup() -> None:
        drop(name)
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), cleanup


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    cleanup: Callable[[], None] | None = None
    if base:
        url, cleanup = _postgres_url(base)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'sitegate.sqlite3'}"
    migrate.upgrade(url)  # the real migrations: drift between models and migrations fails here
    yield url
    if cleanup is not None:
        cleanup()


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    try:
        yield conn
    finally:
        trans.rollback()
        conn.close()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    s = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=db_url,
        secret_key="test-secret",
        template_key="test-template-key",
        login_lockout_s=2,
    )


@pytest.fixture
def app(settings: Settings, engine: Engine, connection: Connection) -> FastAPI:
    return bind_app(create_app(settings, engine=engine), connection)


def bind_app(application: FastAPI, connection: Connection) -> FastAPI:
    """Every request's unit of work joins the test's connection (a savepoint per request), so
    the test's rollback undoes what the API wrote."""

    def _session() -> Iterator[Session]:
        s = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    application.dependency_overrides[get_session] = _session
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


# Threads that belong to the process, not to a test: asyncio / AnyIO workers, and the one-off
# build of the CJK font subset (server/reports/cjk_font.py) that the first PDF or page of a run on
# a machine without the cached copy starts, once per process.
_PROCESS_THREADS = ("asyncio_", "AnyIO", "cjk-font-subset")


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """Habit 11: a test must stop every thread it started (emulators, grabbers, uploaders)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    while True:
        leaked = [
            t
            for t in threading.enumerate()
            if t not in before and t.is_alive() and not t.name.startswith(_PROCESS_THREADS)
        ]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"
