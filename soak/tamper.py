"""Tampering with the server's database behind a running server, as its operator could: delete
a gate's newest record, its last ten, all of them, one of a worker's in the middle, move a
record to another worker, alter a record's time. Each is asked of the chain check and of the
worker's 考勤凭证 over HTTP, then undone; every one must be caught by both."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import httpx
from sqlalchemy import Connection, MetaData, Table, create_engine, delete, insert, select, update

from server.db.session import normalise_url
from soak.context import Context
from soak.gate import SoakGate, seed_gate_world
from soak.procs import ServerProc, database
from soak.result import CheckResult
from soak.world import Seeded, add_admin, admin_client

T0 = dt.datetime(2026, 11, 9, 0, 30, tzinfo=dt.UTC)
MONTH = "2026-11"

Tampering = Callable[[Connection, Table, int, int, int], None]  # conn, table, device, worker, other


def _seqs(conn: Connection, t: Table, device: int, worker: int | None = None) -> list[int]:
    q = select(t.c.seq).where(t.c.device_id == device).order_by(t.c.seq)
    if worker is not None:
        q = q.where(t.c.worker_id == worker)
    return [int(s) for s in conn.execute(q).scalars()]


def _delete_seqs(conn: Connection, t: Table, device: int, seqs: list[int]) -> None:
    conn.execute(delete(t).where(t.c.device_id == device, t.c.seq.in_(seqs)))


def delete_newest(conn: Connection, t: Table, device: int, worker: int, other: int) -> None:
    _delete_seqs(conn, t, device, _seqs(conn, t, device)[-1:])


def delete_last_ten(conn: Connection, t: Table, device: int, worker: int, other: int) -> None:
    _delete_seqs(conn, t, device, _seqs(conn, t, device)[-10:])


def delete_all(conn: Connection, t: Table, device: int, worker: int, other: int) -> None:
    _delete_seqs(conn, t, device, _seqs(conn, t, device))


def delete_workers_middle(conn: Connection, t: Table, device: int, worker: int, other: int) -> None:
    mine = _seqs(conn, t, device, worker)
    _delete_seqs(conn, t, device, [mine[len(mine) // 2]])


def move_to_other_worker(conn: Connection, t: Table, device: int, worker: int, other: int) -> None:
    mine = _seqs(conn, t, device, worker)
    conn.execute(
        update(t)
        .where(t.c.device_id == device, t.c.seq == mine[len(mine) // 2])
        .values(worker_id=other)
    )


def shift_a_time(conn: Connection, t: Table, device: int, worker: int, other: int) -> None:
    mine = _seqs(conn, t, device, worker)
    row = conn.execute(
        select(t.c.device_time).where(t.c.device_id == device, t.c.seq == mine[0])
    ).scalar_one()
    conn.execute(
        update(t)
        .where(t.c.device_id == device, t.c.seq == mine[0])
        .values(device_time=row - dt.timedelta(hours=2))  # came two hours earlier, on paper
    )


CASES: dict[str, Tampering] = {
    "delete the newest": delete_newest,
    "delete the last 10": delete_last_ten,
    "delete all": delete_all,
    "delete one of the worker's in the middle": delete_workers_middle,
    "move one to another worker": move_to_other_worker,
    "shift one record's time": shift_a_time,
}


def _caught(http: httpx.Client, seeded: Seeded, worker: int) -> tuple[bool, bool, int]:
    """(chain check caught it, evidence caught it, 5xx answers)."""
    chain = http.get(f"/api/v1/projects/{seeded.project_id}/devices/{seeded.device_pk}/chain")
    evidence = http.get(
        f"/api/v1/projects/{seeded.project_id}/workers/{worker}/evidence", params={"month": MONTH}
    )
    errors = int(chain.status_code >= 500) + int(evidence.status_code >= 500)
    chain_caught = chain.status_code == 200 and not chain.json()["intact"]
    evidence_caught = evidence.status_code == 200 and not evidence.json()["all_ok"]
    return chain_caught, evidence_caught, errors


def run(ctx: Context) -> list[CheckResult]:
    results = []
    for backend in ctx.backends:
        started = time.monotonic()
        res = CheckResult("database tampering (deletions, moves)", backend=backend)
        res.tampered, res.detected, res.server_errors, res.cases = 0, 0, 0, 0
        missed: list[str] = []
        with database(backend, ctx.workdir, ctx.pg_url) as db_url:
            seeded = seed_gate_world(db_url)
            add_admin(db_url)
            server = ServerProc(db_url, log=ctx.workdir / f"tamper-{backend}.log")
            server.start()
            engine = create_engine(normalise_url(db_url))
            try:
                gate = SoakGate.provision(seeded, server.url, ctx.workdir / f"tamper-{backend}")
                gate.append(ctx.size(200, 2000), ctx.rng, T0)
                gate.worker.flush_events()
                gate.close()
                people = list(seeded.people.values())
                worker, other = people[0].worker_id, people[1].worker_id
                http = admin_client(server.url)
                table = Table("gate_event", MetaData(), autoload_with=engine)
                clean = _caught(http, seeded, worker)
                if clean[0] or clean[1]:
                    missed.append("the untouched database is reported as tampered")
                for name, tamper in CASES.items():
                    with engine.begin() as conn:
                        saved = [
                            dict(r)
                            for r in conn.execute(
                                select(table).where(table.c.device_id == seeded.device_pk)
                            ).mappings()
                        ]
                        tamper(conn, table, seeded.device_pk, worker, other)
                    chain_caught, evidence_caught, errors = _caught(http, seeded, worker)
                    res.cases += 2
                    res.tampered += 2
                    res.detected += int(chain_caught) + int(evidence_caught)
                    res.server_errors += errors
                    if not chain_caught:
                        missed.append(f"chain check missed: {name}")
                    if not evidence_caught:
                        missed.append(f"考勤凭证 missed: {name}")
                    with engine.begin() as conn:  # undo, for the next case
                        conn.execute(delete(table).where(table.c.device_id == seeded.device_pk))
                        conn.execute(insert(table), saved)
                if _caught(http, seeded, worker)[:2] != (False, False):
                    missed.append("the restored database is still reported as tampered")
                http.close()
            finally:
                engine.dispose()
                server.stop()
        res.leaks = None
        res.failures = len([m for m in missed if "untouched" in m or "restored" in m])
        res.notes.append(
            f"{len(CASES)} tamperings × (chain check, 考勤凭证)"
            + (f"; {'; '.join(missed)}" if missed else "; every one caught by both")
        )
        res.seconds = time.monotonic() - started
        results.append(res)
    return results
