"""Which of several server processes does the work that must run once (server/workers.py).

PostgreSQL: the one holding a session advisory lock on its own connection leads; when that
process dies, its connection closes, the lock goes with it and the next process to ask leads.
SQLite: there is only ever one process (several workers are refused), which leads.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, text

log = logging.getLogger("sitegate.server")


class Leadership:
    """`leads()` is true while this process holds the lock for `key`; it asks again when not."""

    def __init__(self, engine: Engine, key: int, name: str) -> None:
        self._engine = engine
        self._key = key
        self._name = name
        self._conn: Connection | None = None

    def leads(self) -> bool:
        if self._engine.dialect.name != "postgresql":
            return True
        try:
            if self._conn is not None:
                self._conn.execute(text("SELECT 1"))  # still ours: the lock lives with it
                return True
            # autocommit: the held connection is idle, not idle in a transaction
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar()
        except Exception:  # the database gone for now: nobody here leads until it is back
            log.warning("%s: leadership unknown, the database does not answer", self._name)
            self.release()
            return False
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                # invalidate: really closed, not back to the pool with the lock still held
                conn.invalidate()
                conn.close()
            except Exception:  # noqa: S110 - closing a broken connection: nothing left to free
                pass
