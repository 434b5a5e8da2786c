"""Readiness: the database answers and its schema is at the migrations' head. Liveness needs no
check beyond the process answering."""

from __future__ import annotations

import functools

from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from server.db import migrate


@functools.cache
def heads() -> frozenset[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return frozenset(script.get_heads())


def not_ready(engine: Engine) -> tuple[str, str] | None:
    """Why the server should get no traffic yet (zh, en), or None when it is ready."""
    try:
        current = _revisions(engine)
    except Exception as exc:  # any driver error means: not ready, and why
        kind = type(exc).__name__
        return (f"数据库无法连接({kind})", f"the database does not answer ({kind})")
    if current != heads():
        have = ", ".join(sorted(current)) or "none"
        want = ", ".join(sorted(heads()))
        return (
            f"数据库迁移不是最新(当前 {have},应为 {want}),请运行 sitegate db upgrade",
            f"migrations are not at head (at {have}, head {want}): run sitegate db upgrade",
        )
    return None


def _revisions(engine: Engine) -> set[str]:
    # The driver's own connection: a SQLAlchemy transaction on SQLite begins IMMEDIATE (the
    # write lock), and readiness must not wait behind a long import holding it.
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        try:
            cur.execute("SELECT 1")
            cur.fetchall()
            try:
                cur.execute("SELECT version_num FROM alembic_version")
            except Exception:  # the database answers, but holds no schema yet
                return set()
            return {str(row[0]) for row in cur.fetchall()}
        finally:
            cur.close()
    finally:
        raw.rollback()
        raw.close()
