"""The embedded SQLite engine: two writers that read then write must both get through."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, Table, select, update

from server.db.session import make_engine

_meta = MetaData()
_counter = Table("counter", _meta, Column("id", Integer, primary_key=True), Column("n", Integer))


class TestMakeEngineSqlite:
    def test_concurrent_read_then_write_transactions_all_commit(self, tmp_path: Path) -> None:
        engine = make_engine(f"sqlite:///{tmp_path / 'c.sqlite3'}")
        _meta.create_all(engine)
        with engine.begin() as conn:
            conn.execute(_counter.insert().values(id=1, n=0))
        errors: list[BaseException] = []
        barrier = threading.Barrier(4)

        def bump() -> None:
            try:
                barrier.wait()
                for _ in range(25):
                    with engine.begin() as conn:  # read, then write: the lock-upgrade case
                        n = conn.execute(select(_counter.c.n)).scalar_one()
                        conn.execute(update(_counter).values(n=n + 1))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=bump) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with engine.connect() as conn:
            total = conn.execute(select(_counter.c.n)).scalar_one()
        engine.dispose()
        assert errors == []
        assert total == 100  # no lost update either
