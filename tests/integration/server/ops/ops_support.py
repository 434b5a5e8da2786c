"""Scratch databases of the suite's backend (SQLite file, or PostgreSQL databases named
sitegate_ops_<random> next to TEST_DATABASE_URL's), created and dropped per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from server.db.session import make_engine, normalise_url


@contextmanager
def scratch_database(db_url: str, folder: Path, name: str) -> Iterator[str]:
    """An empty database on the same backend as `db_url`; dropped afterwards."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{folder / f'{name}.sqlite3'}"
        return
    url = make_url(normalise_url(db_url))
    db = f"sitegate_ops_{name}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url.render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        try:
            yield url.set(database=db).render_as_string(hide_password=False)
        finally:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
    finally:
        admin.dispose()
