"""The server SIGKILLed while a gate uploads: after each restart the gate resumes from the
server's acknowledgement, and in the end every event is stored exactly once, chain unbroken."""

from __future__ import annotations

import datetime as dt
import threading
import time

from edge.sync import SyncError
from soak.context import Context
from soak.gate import SoakGate, compare, seed_gate_world
from soak.procs import ServerProc, database
from soak.result import CheckResult

T0 = dt.datetime(2026, 11, 2, 6, 30, tzinfo=dt.UTC)


def _upload_until_done(gate: SoakGate, stop: threading.Event, errors: list[str]) -> None:
    while not stop.is_set():
        try:
            gate.worker.flush_events()
            if gate.outbox.stats().depth == 0:
                return
        except SyncError as exc:
            if not exc.retryable:
                errors.append(str(exc))
                return
            time.sleep(0.05)


def run(ctx: Context) -> list[CheckResult]:
    kills = ctx.size(2, 25)
    per_kill = ctx.size(500, 2500)
    results = []
    for backend in ctx.backends:
        started = time.monotonic()
        res = CheckResult("server SIGKILL during ingest", backend=backend, cycles=0)
        with database(backend, ctx.workdir, ctx.pg_url) as db_url:
            seeded = seed_gate_world(db_url)
            server = ServerProc(db_url, log=ctx.workdir / f"server-kill-{backend}.log")
            server.start()
            gate = SoakGate.provision(seeded, server.url, ctx.workdir / f"server-kill-{backend}")
            errors: list[str] = []
            try:
                for k in range(kills):
                    gate.append(per_kill, ctx.rng, T0 + dt.timedelta(hours=k))
                    stop = threading.Event()
                    uploader = threading.Thread(
                        target=_upload_until_done, args=(gate, stop, errors), name="soak-upload"
                    )
                    uploader.start()
                    time.sleep(ctx.rng.uniform(0.05, 0.6))  # mid-upload
                    server.kill()
                    res.cycles = (res.cycles or 0) + 1
                    time.sleep(ctx.rng.uniform(0.0, 0.3))
                    server.start()
                    uploader.join(120)
                    stop.set()
                    uploader.join(10)
                _upload_until_done(gate, threading.Event(), errors)
                tally = compare(gate, db_url)
            finally:
                gate.close()
                server.stop()
        res.lost, res.duplicates = tally.lost, tally.duplicates
        res.lost += tally.breaks + len(errors)
        res.notes.append(
            f"{tally.held} events, {tally.stored} stored, {tally.breaks} chain breaks"
            + (f", needs-operator errors: {errors[:2]}" if errors else "")
        )
        res.seconds = time.monotonic() - started
        results.append(res)
    return results
