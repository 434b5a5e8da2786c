"""考勤凭证 cost for one worker's month, in a project seeded as benchmarks/roster.py seeds it.

    uv run python benchmarks/evidence.py [--sizes 160,500,5000] [--backends sqlite,postgresql]

The seeded records carry no credential_ref, so every one of them is a face-only candidate for the
"record moved away from this worker" check (evidence_chain.moved_away): the worst case. Up to
FACE_ONLY_BUDGET candidates are re-hashed; above it the check is skipped and the evidence says so.
Prints the best of 3 runs of `worker_month_evidence` and the moved-away check alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import roster as roster_bench  # noqa: E402

from server.db import migrate  # noqa: E402
from server.db.session import make_engine, make_sessionmaker  # noqa: E402
from server.ingest import evidence, evidence_chain  # noqa: E402
from server.registry.models import Assignment, Project, Worker  # noqa: E402

PERIOD = "2026-10"


def bench(backend: str, size: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        url = roster_bench.fresh_database(backend, Path(tmp))
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            project_id, count = roster_bench.seed(engine, size, f"E{size}")
            with make_sessionmaker(engine)() as session:
                worker_id = session.scalar(
                    select(Assignment.worker_id).where(Assignment.project_id == project_id).limit(1)
                )
                worker = session.get(Worker, worker_id)
                project = session.get(Project, project_id)
                assert worker is not None
                assert project is not None
                runs = []
                for _ in range(3):
                    t = time.perf_counter()
                    ev = evidence.worker_month_evidence(
                        session,
                        project_id=project_id,
                        worker_id=worker.id,
                        period=PERIOD,
                        now=dt.datetime.now(dt.UTC),
                    )
                    runs.append(time.perf_counter() - t)
                _, start, end = evidence.month_bounds(project, PERIOD)
                gates = evidence_chain.project_gates(session, project_id, [])
                t = time.perf_counter()
                moved = evidence_chain.moved_away(
                    session,
                    project_id=project_id,
                    worker=worker,
                    start=start,
                    end=end,
                    codes={d.id: d.code for d in gates.values()},
                )
                scan = time.perf_counter() - t
        finally:
            engine.dispose()
    return (
        f"{backend:10} workers={size:>6} events={count:>7} records={ev.events_checked:>3} "
        f"evidence={min(runs):.3f}s moved_away={scan:.3f}s "
        f"face_only={moved.face_only_records} checked={moved.face_only_checked}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="160,500,5000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            print(bench(backend, size), flush=True)


if __name__ == "__main__":
    main()
