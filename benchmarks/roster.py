"""Monthly roster (and reconciliation) cost for a project-month, against row-by-row ORM code.

    uv run python benchmarks/roster.py [--sizes 500,5000,50000] [--backends sqlite,postgresql]

For each backend (SQLite temp file; PostgreSQL database `sitegate_bench_roster` on
127.0.0.1:5432, user postgres, created fresh) and each size, one project is seeded with N
workers (10 companies, 50 teams) and about 60 granted events per worker (October 2026:
30 days × IN + OUT, with jitter, a few night shifts and missing OUTs), bulk-inserted through
Core `executemany`. Then, timed on a fresh session:

- `roster_service.load_month` (3 queries, events as plain tuples, `rules.roster_month_rows`);
- `reconciliation_service.rows` (load_month + payroll lines + `rules.reconcile`), when present;
- the naive way: for each assignment (ORM objects), one ORM query for its events, an ORM object
  per event, pairing IN/OUT in Python. Run in full up to `--naive-full` workers (5,000); above
  that, on the first `--naive-sample` assignments (1,000) and extrapolated linearly (marked "~").

Best and median of `--repeat` (3) runs for sizes <= 5,000 (one run above). Prints seconds,
µs per worker, the ratio, and the load average when each size finished (the machine is shared).
PostgreSQL events are seeded with COPY, then `VACUUM ANALYZE` (what autovacuum does to a past
month), SQLite ones with `executemany` in one transaction.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from models.enums import (  # noqa: E402
    AssignmentStatus,
    CompanyRole,
    Direction,
    GateMode,
    GateResult,
    WageKind,
)
from models.ids import resident_id_check_char  # noqa: E402
from server.db import migrate  # noqa: E402
from server.db.session import make_engine, make_sessionmaker  # noqa: E402
from server.ingest.models import GateEventRow  # noqa: E402
from server.registry.models import (  # noqa: E402
    Assignment,
    Company,
    Device,
    Project,
    ProjectCompany,
    Team,
    Worker,
)
from server.rosters import rules as roster_rules  # noqa: E402
from server.rosters import service as roster_service  # noqa: E402

try:
    from server.reconciliation import service as recon_service
except ImportError:  # not landed yet: time the roster only
    recon_service = None  # type: ignore[assignment]

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgresql://postgres@127.0.0.1:5432/sitegate_bench_roster"
SH = ZoneInfo("Asia/Shanghai")
PERIOD = "2026-10"
YEAR, MONTH = 2026, 10
CHUNK = 20_000
COPY_COLUMNS = (
    "event_id", "device_id", "project_id", "seq", "device_time", "received_at", "direction",
    "mode", "worker_id", "result", "prev_hash", "hash", "signature", "chain_ok",
)  # fmt: skip
COPY_SQL = f"COPY gate_event ({', '.join(COPY_COLUMNS)}) FROM STDIN"


@dataclass
class Result:
    backend: str
    workers: int
    events: int
    seed_s: float
    roster_runs: list[float]
    recon_runs: list[float] | None
    naive_s: float
    naive_sampled: bool
    load: str  # /proc/loadavg 1, 5, 15 min when the size finished

    @property
    def roster_s(self) -> float:
        return min(self.roster_runs)

    @property
    def recon_s(self) -> float | None:
        return min(self.recon_runs) if self.recon_runs else None


def fresh_database(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'roster_bench.sqlite3'}"
    admin = make_engine(PG_ADMIN)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "sitegate_bench_roster" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "sitegate_bench_roster"'))
    admin.dispose()
    return PG_BENCH


def _id_number(n: int) -> str:
    """A valid resident ID number, unique per n (the 代发 writer checks them)."""
    born = dt.date(1970, 1, 1) + dt.timedelta(days=n // 500)
    first17 = f"110101{born:%Y%m%d}{(n % 500) * 2 + 1:03d}"
    return first17 + resident_id_check_char(first17)


def seed(engine: Engine, size: int, tag: str, firms: int = 10) -> tuple[int, int]:
    """One project of `size` workers (in `firms` firms) with ~60 events each. Returns (project
    id, event count)."""
    rng = random.Random(size)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        pid = conn.execute(
            insert(Project).returning(Project.id),
            {"code": f"B{tag}", "name": f"基准项目{tag}", "created_at": now, "updated_at": now},
        ).scalar_one()
        dev_in, dev_out = (
            conn.execute(
                insert(Device).returning(Device.id),
                {"code": f"B{tag}-{d}", "project_id": pid, "direction": d, "created_at": now,
                 "updated_at": now},
            ).scalar_one()
            for d in (Direction.IN, Direction.OUT)
        )  # fmt: skip
        companies = [
            conn.execute(
                insert(Company).returning(Company.id),
                {"name": f"劳务公司{tag}-{i}", "credit_code": f"{tag:>6}{i:012d}"[-18:],
                 "created_at": now, "updated_at": now},
            ).scalar_one()
            for i in range(firms)
        ]  # fmt: skip
        conn.execute(
            insert(ProjectCompany),
            [{"project_id": pid, "company_id": c, "role": CompanyRole.LABOUR_SUBCONTRACTOR,
              "created_at": now, "updated_at": now} for c in companies],
        )  # fmt: skip
        teams = [
            conn.execute(
                insert(Team).returning(Team.id),
                {"project_id": pid, "company_id": companies[i % firms], "name": f"班组{i}",
                 "created_at": now, "updated_at": now},
            ).scalar_one()
            for i in range(50)
        ]  # fmt: skip
        base = int(tag) * 100_000 if tag.isdigit() else 0
        workers = [
            {"name": f"工人{n}", "id_number": _id_number(base + n), "gender": "M",
             "birth_date": dt.date(1980, 1, 1), "created_at": now, "updated_at": now}
            for n in range(size)
        ]  # fmt: skip
        wids: list[int] = []
        for i in range(0, size, CHUNK):
            wids += conn.execute(
                insert(Worker).returning(Worker.id, sort_by_parameter_order=True),
                workers[i : i + CHUNK],
            ).scalars().all()  # fmt: skip
        assignments = [
            {"project_id": pid, "worker_id": w, "company_id": companies[k % firms],
             "team_id": teams[k % 50], "trade": "钢筋工", "wage_kind": WageKind.DAILY,
             "wage_rate_fen": 35000, "status": AssignmentStatus.ACTIVE,
             "entered_on": dt.date(2026, 9, 1), "created_at": now, "updated_at": now}
            for k, w in enumerate(wids)
        ]  # fmt: skip
        for i in range(0, size, CHUNK):
            conn.execute(insert(Assignment), assignments[i : i + CHUNK])

        seq = {dev_in: 0, dev_out: 0}
        batch: list[dict[str, Any]] = []
        count = 0
        zero = "0" * 64
        sig = "0" * 128
        pg = engine.dialect.name == "postgresql"

        def flush() -> None:
            if not batch:
                return
            if pg:  # COPY: 3 M rows in a minute instead of several
                dbapi = conn.connection.driver_connection
                assert dbapi is not None
                with dbapi.cursor() as cur, cur.copy(COPY_SQL) as copy:
                    for r in batch:
                        copy.write_row([r[k] for k in COPY_COLUMNS])
            else:
                conn.execute(insert(GateEventRow), batch)
            batch.clear()

        def event(wid: int, device: int, direction: Direction, at: dt.datetime) -> None:
            nonlocal count
            seq[device] += 1
            count += 1
            batch.append({
                "event_id": uuid.UUID(int=rng.getrandbits(128)), "device_id": device,
                "project_id": pid, "seq": seq[device], "device_time": at, "received_at": at,
                "direction": direction.value, "mode": GateMode.CARD_AND_FACE.value,
                "worker_id": wid, "result": GateResult.GRANTED.value, "prev_hash": zero,
                "hash": zero, "signature": sig, "chain_ok": True,
            })  # fmt: skip
            if len(batch) >= CHUNK:
                flush()

        for wid in wids:
            for day in range(1, 31):
                night = rng.random() < 0.05
                start = dt.datetime(YEAR, MONTH, day, 21 if night else 7, rng.randrange(60),
                                    tzinfo=SH)  # fmt: skip
                event(wid, dev_in, Direction.IN, start.astimezone(dt.UTC))
                if rng.random() < 0.02:
                    continue  # a forgotten OUT
                end = start + dt.timedelta(hours=rng.uniform(8, 10))
                event(wid, dev_out, Direction.OUT, end.astimezone(dt.UTC))
        flush()
    if engine.dialect.name == "postgresql":
        # A past month's pages are all-visible once autovacuum has passed (PostgreSQL >= 13
        # vacuums insert-only tables); do it now so the roster's index-only scan is what a
        # real November sees for October.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE gate_event"))
            conn.execute(text("ANALYZE"))
    else:
        # The one-transaction seed leaves the rows in the WAL (1.7 GB at 50,000 workers); every
        # page read then searches it. A real file is checkpointed long before month end.
        # On the bare DBAPI connection: the engine's connections open BEGIN IMMEDIATE, and a
        # checkpoint cannot run inside a transaction.
        raw = engine.raw_connection()
        try:
            dbapi = raw.driver_connection
            assert dbapi is not None
            dbapi.execute("ANALYZE")
            dbapi.commit()
            dbapi.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    return pid, count


def naive_month(engine: Engine, project_id: int, limit: int | None) -> int:
    """Row by row through the ORM: each assignment, its events as objects, pairing in Python."""
    days_attended = 0
    start, end = roster_rules.month_event_window(YEAR, MONTH)
    with make_sessionmaker(engine)() as session:
        stmt = select(Assignment).where(Assignment.project_id == project_id).order_by(Assignment.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        for a in session.scalars(stmt).all():
            worker = session.get(Worker, a.worker_id)
            assert worker is not None
            events = session.scalars(
                select(GateEventRow)
                .where(
                    GateEventRow.project_id == project_id,
                    GateEventRow.worker_id == a.worker_id,
                    GateEventRow.device_time >= start,
                    GateEventRow.device_time < end,
                )
                .order_by(GateEventRow.device_time)
            ).all()
            seconds: dict[dt.date, float] = {}
            open_at: dt.datetime | None = None
            for e in events:
                if e.result != GateResult.GRANTED:
                    continue
                if e.direction == Direction.IN:
                    open_at = e.device_time
                elif open_at is not None:
                    day = open_at.astimezone(SH).date()
                    seconds[day] = seconds.get(day, 0) + (e.device_time - open_at).total_seconds()
                    open_at = None
            days_attended += sum(
                1 for d, s in seconds.items() if d.month == MONTH and s >= 4 * 3600
            )
            session.expunge_all()
    return days_attended


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall seconds of each of `repeat` runs."""
    runs = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return runs


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def bench(
    backend: str, sizes: list[int], naive_full: int, naive_sample: int, repeats: int
) -> list[Result]:
    out: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_database(backend, Path(tmp))
        migrate.upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        try:
            for i, size in enumerate(sizes):
                t = time.perf_counter()
                pid, n_events = seed(engine, size, f"{i + 1}")
                seed_s = time.perf_counter() - t
                repeat = repeats if size <= 5000 else 1

                def roster(pid: int = pid) -> None:
                    with factory() as session:
                        roster_service.load_month(session, project_id=pid, period=PERIOD)

                roster_s = timed(roster, repeat)
                recon_s: list[float] | None = None
                if recon_service is not None:

                    def recon(pid: int = pid) -> None:
                        with factory() as session:
                            recon_service.rows(
                                session, project_id=pid, period=PERIOD, today=dt.date(2026, 11, 20)
                            )

                    recon_s = timed(recon, repeat)
                sampled = size > naive_full
                limit = naive_sample if sampled else None
                naive_s = timed(lambda pid=pid, lim=limit: naive_month(engine, pid, lim), 1)[0]
                if sampled:
                    naive_s *= size / naive_sample
                res = Result(
                    backend, size, n_events, seed_s, roster_s, recon_s, naive_s, sampled,
                    load_average(),
                )  # fmt: skip
                out.append(res)
                print_row(res)
        finally:
            engine.dispose()
    return out


def print_header() -> None:
    print(
        f"{'backend':<11}{'workers':>8}{'events':>10}{'seed s':>8}{'roster s':>10}"
        f"{'median':>8}{'µs/worker':>11}{'recon s':>9}{'median':>8}{'naive s':>10}"
        f"{'µs/worker':>11}{'ratio':>7}  load"
    )


def print_row(r: Result) -> None:
    recon = r.recon_runs
    recon_txt = (
        f"{min(recon):9.3f}{statistics.median(recon):8.3f}" if recon else f"{'-':>9}{'-':>8}"
    )
    mark = "~" if r.naive_sampled else " "
    print(
        f"{r.backend:<11}{r.workers:>8,}{r.events:>10,}{r.seed_s:>8.1f}{r.roster_s:>10.3f}"
        f"{statistics.median(r.roster_runs):>8.3f}{r.roster_s / r.workers * 1e6:>11.0f}"
        f"{recon_txt}{mark}{r.naive_s:>9.2f}{r.naive_s / r.workers * 1e6:>11.0f}"
        f"{r.naive_s / r.roster_s:>6.1f}x  {r.load}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="500,5000,50000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--naive-full", type=int, default=5000)
    parser.add_argument("--naive-sample", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per size <= 5,000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if recon_service is None:
        print("reconciliation service not present: timing the roster only")
    print_header()
    t = time.perf_counter()
    for backend in args.backends.split(","):
        bench(backend.strip(), sizes, args.naive_full, args.naive_sample, args.repeat)
    print(f"total {time.perf_counter() - t:.0f} s;  ~ = naive sampled and extrapolated linearly")


if __name__ == "__main__":
    main()
