"""The 工人 list for 5,000 workers on one project: one page in pinyin order, from the stored key.

    uv run python benchmarks/workers_list.py [DATABASE_URL]

Default: a fresh SQLite file. With a PostgreSQL URL the rows go in one transaction that is rolled
back. Prints the bulk insert (keys computed by the column default), the median of 5 runs of
`queries.list_workers` for a few pages and filters, and the alternative this replaced: loading
every candidate and sorting it in Python with pypinyin on each request.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time

from pypinyin import Style, lazy_pinyin
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models.enums import AssignmentStatus
from server.db import migrate
from server.db.session import make_engine
from server.registry.models import Assignment, Project, Worker
from server.web import queries
from tests.factories import make_id_number

N = 5000
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤阿"
)


def main(url: str) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    rng = random.Random(1)
    try:
        with engine.connect() as conn:
            trans = conn.begin()
            s = Session(bind=conn)
            project = Project(code="BENCH-WL", name="bench")
            s.add(project)
            s.flush()
            names = [
                "".join(rng.choice(SURNAMES) for _ in range(rng.choice((2, 3)))) for _ in range(N)
            ]
            t = time.perf_counter()
            s.execute(
                insert(Worker),
                [{"name": n, "id_number": make_id_number(), "gender": "M",
                  "birth_date": dt.date(1980, 1, 1)} for n in names],
            )  # fmt: skip
            print(f"bulk insert of {N:,} workers, keys included: {time.perf_counter() - t:.3f} s")
            ids = list(s.scalars(select(Worker.id).where(Worker.name.in_(set(names)))))
            s.execute(
                insert(Assignment),
                [{"project_id": project.id, "worker_id": i, "status": AssignmentStatus.ACTIVE,
                  "entered_on": dt.date(2026, 1, 1)} for i in ids],
            )  # fmt: skip
            s.flush()
            last = -(-len(ids) // 50)
            cases = (
                ("page 1", queries.WorkerFilter(), 1),
                (f"page {last} (last)", queries.WorkerFilter(), last),
                ("search 王", queries.WorkerFilter(q="王"), 1),
                ("active, no face consent, page 3",
                 queries.WorkerFilter(status=AssignmentStatus.ACTIVE, consent=False), 3),
            )  # fmt: skip
            for label, f, page in cases:
                runs = []
                for _ in range(5):
                    t = time.perf_counter()
                    result = queries.list_workers(s, project.id, f, page=page)
                    runs.append(time.perf_counter() - t)
                print(f"{label}: {result.total:,} match, {len(result.rows)} rows, "
                      f"median {sorted(runs)[2] * 1000:.1f} ms")  # fmt: skip
            t = time.perf_counter()
            rows = s.execute(
                select(Worker.id, Worker.name)
                .join(Assignment, Assignment.worker_id == Worker.id)
                .where(Assignment.project_id == project.id)
            ).all()
            rows.sort(key=lambda r: "".join(lazy_pinyin(r.name, style=Style.TONE3)))
            print(f"instead: sort {len(rows):,} in Python with pypinyin: "
                  f"{time.perf_counter() - t:.3f} s per request")  # fmt: skip
            trans.rollback()
    finally:
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tempfile.mkdtemp()}/wl.sqlite3")
