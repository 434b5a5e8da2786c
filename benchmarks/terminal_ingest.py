"""ZKTeco PUSH ingest throughput: 10,000 ATTLOG lines through `POST /iclock/cdata?table=ATTLOG`
of the real server (uvicorn, one process) on PostgreSQL, against the approach most open ADMS
servers take, measured in the same run on the same database server.

    uv run python benchmarks/terminal_ingest.py [--records 10000] [--batch 1000]
        [--pg postgresql://postgres@127.0.0.1:5432/test]

SiteGate: each post is parsed, de-duplicated by (serial number, line digest), sealed into the
terminal's hash chain, signed with the server's key for the terminal, checkpointed every 500 and
bulk-inserted through ingest, in one transaction per post. The peer ("one INSERT per line"): the
same posts to a minimal uvicorn app that runs one `INSERT ... ON CONFLICT DO NOTHING` per line,
storing the fields and nothing else (no chain, no signature), once with one transaction per
post and once with a commit per line (an ORM's save() in autocommit mode, the common case). Also
timed: the same 10,000 lines posted again (all duplicates, as after a lost "OK" or Stamp=0).
Each side gets a scratch database next to --pg's, dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from server.db.session import normalise_url  # noqa: E402
from soak import procs as soak_procs  # noqa: E402
from soak.procs import SECRET_KEY, TEMPLATE_KEY, ServerProc, free_port, server_env  # noqa: E402
from terminals.zkteco_push import protocol as zk  # noqa: E402

SN = "CKJXBENCH0001"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
START = dt.datetime(2026, 5, 1, 7, 0)  # noqa: DTZ001 - a terminal's wall time is naive


def scratch_database(pg_url: str, _prefix: str) -> AbstractContextManager[str]:
    """A fresh PostgreSQL database next to `pg_url`'s, dropped afterwards (soak's helper)."""
    return soak_procs.database("postgresql", Path("."), pg_url)


def seed(db_url: str, workers: int) -> list[str]:
    """A project with `workers` workers and an approved ZKTeco terminal; their PINs."""
    from sqlalchemy.orm import Session

    from models.enums import Direction
    from server.config import Settings
    from server.db import migrate
    from server.db.session import make_engine
    from server.terminals import service
    from tests.factories import make_assignment, make_project, make_worker

    migrate.upgrade(db_url)
    settings = Settings(database_url=db_url, template_key=TEMPLATE_KEY, secret_key=SECRET_KEY)
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            project = make_project(session)
            pins = []
            for i in range(workers):
                worker = make_worker(session, name=f"工人{i}")
                make_assignment(session, project, worker)
                pins.append(str(worker.id))
            device = service.add_terminal(
                session, settings, None, project, code="ZK-BENCH", vendor="zkteco",
                serial_number=SN, direction=Direction.IN,
            )  # fmt: skip
            service.approve(session, settings, None, device, now=dt.datetime.now(dt.UTC))
            session.commit()
            return pins
    finally:
        engine.dispose()


def bodies(pins: list[str], records: int, batch: int) -> list[str]:
    lines = [
        zk.attlog_line(
            pins[i % len(pins)], START + dt.timedelta(seconds=i), status=i % 2, verify=15
        )
        for i in range(records)
    ]
    return [zk.format_attlog(lines[i : i + batch]) for i in range(0, len(lines), batch)]


def post_all(base: str, posts: list[str], **extra: str) -> float:
    """Seconds for every post, in order, one terminal; each answer must be `OK: <n>`."""
    with httpx.Client(base_url=base, timeout=120) as http:
        started = time.perf_counter()
        for n, body in enumerate(posts):
            params = {"SN": SN, "table": "ATTLOG", "Stamp": str(n), **extra}
            r = http.post("/iclock/cdata", params=params, content=body.encode())
            if r.status_code != 200 or zk.parse_ok_answer(r.text) is None:
                raise RuntimeError(f"post {n}: HTTP {r.status_code} {r.text[:200]}")
        return time.perf_counter() - started


def count(db_url: str, sql: str) -> int:
    engine = create_engine(normalise_url(db_url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def truncate(db_url: str) -> None:
    engine = create_engine(normalise_url(db_url))
    try:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE attlog"))
    finally:
        engine.dispose()


# -- the peer: one INSERT per line, in a minimal app of its own -------------------------------


PEER_TABLE = """CREATE TABLE IF NOT EXISTS attlog (
    id BIGSERIAL PRIMARY KEY, sn VARCHAR(32) NOT NULL, pin VARCHAR(24) NOT NULL,
    punch_time TIMESTAMP NOT NULL, status INT NOT NULL, verify INT NOT NULL,
    raw TEXT NOT NULL, UNIQUE (sn, raw))"""


def peer_app(db_url: str) -> FastAPI:
    engine = create_engine(normalise_url(db_url), pool_size=5)
    with engine.begin() as conn:
        conn.execute(text(PEER_TABLE))
    app = FastAPI()
    insert = text(
        "INSERT INTO attlog (sn, pin, punch_time, status, verify, raw) "
        "VALUES (:sn, :pin, :t, :s, :v, :raw) ON CONFLICT DO NOTHING"
    )

    @app.post("/iclock/cdata")
    async def cdata(request: Request) -> PlainTextResponse:
        sn = request.query_params["SN"]
        parsed = zk.split_attlog((await request.body()).decode())
        rows = [
            {"sn": sn, "pin": line.pin, "t": line.time, "s": line.status, "v": line.verify,
             "raw": line.raw}
            for line in parsed.lines
        ]  # fmt: skip
        if request.query_params.get("commit") == "line":  # an ORM's save() in autocommit mode
            for row in rows:
                with engine.begin() as conn:
                    conn.execute(insert, row)
        else:
            with engine.begin() as conn:
                for row in rows:  # one statement per line, one transaction per request
                    conn.execute(insert, row)
        return PlainTextResponse(zk.ok_answer(len(parsed.lines)))

    return app


@contextmanager
def peer_server(db_url: str, log: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, __file__, "--serve-peer", str(port), db_url]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            command, env=server_env(db_url), stdout=out, stderr=subprocess.STDOUT, cwd=REPO
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"peer server exited: {log.read_text()[-2000:]}")
            try:
                httpx.get(base + "/docs", timeout=0.5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def serve_peer(port: int, db_url: str) -> None:
    import uvicorn

    uvicorn.run(peer_app(db_url), host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-peer":
        serve_peer(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1_000, help="ATTLOG lines per post")
    parser.add_argument("--workers", type=int, default=200, help="workers on the roster")
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL to make scratch DBs next to")
    args = parser.parse_args()
    print(
        f"terminal ingest benchmark: {args.records:,} ZKTeco ATTLOG lines, {args.batch} per post,"
        f" one terminal, one server process, PostgreSQL; {os.cpu_count()} CPUs,"
        f" load average before {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        with scratch_database(args.pg, "zkbench") as db_url:
            pins = seed(db_url, args.workers)
            posts = bodies(pins, args.records, args.batch)
            server = ServerProc(db_url, log=Path(tmp) / "server.log")
            server.start()
            try:
                ours = post_all(server.url, posts)
                again = post_all(server.url, posts)
            finally:
                server.stop()
            stored = count(
                db_url, "SELECT count(*) FROM gate_event WHERE purpose IS NULL"
            )  # checkpoints are records of their own; only attempts are counted
        with (
            scratch_database(args.pg, "zkpeer") as peer_url,
            peer_server(peer_url, Path(tmp) / "peer.log") as base,
        ):
            peer = post_all(base, posts)
            peer_stored = count(peer_url, "SELECT count(*) FROM attlog")
            truncate(peer_url)
            per_line = post_all(base, posts, commit="line")
    if stored != args.records or peer_stored != args.records:
        raise SystemExit(f"stored {stored} (peer {peer_stored}), expected {args.records}")
    rate, peer_rate, dup_rate = args.records / ours, args.records / peer, args.records / again
    print(f"{'':<34}{'records/s':>12}{'seconds':>10}")
    print(f"{'SiteGate (sealed, bulk)':<34}{rate:>12,.0f}{ours:>10.2f}")
    print(f"{'SiteGate, all re-sent (duplicates)':<34}{dup_rate:>12,.0f}{again:>10.2f}")
    line_rate = args.records / per_line
    print(f"{'peer: one INSERT per line':<34}{peer_rate:>12,.0f}{peer:>10.2f}")
    print(f"{'peer: one INSERT+COMMIT per line':<34}{line_rate:>12,.0f}{per_line:>10.2f}")
    print(
        f"ratio SiteGate / peer: {rate / peer_rate:.1f}x (one transaction per post), "
        f"{rate / line_rate:.1f}x (a commit per line); stored exactly once: {stored:,}"
    )
    verdict = "met" if rate >= 2_000 else "NOT met"
    print(f"target >= 2,000 records/s: {verdict}")


if __name__ == "__main__":
    main()
