"""The gate agent SIGKILLed mid-burst, over and over: every decision it acted on (pulsed the
relay for) must be in its outbox, at its seq, with the chain and signatures intact; then,
uploaded to a real server on each backend, every event is stored exactly once.

The agents fork from one pre-imported process (soak/gate_rig.py's zygote), each its own
process and SIGKILLed as such, so a thousand lives fit in minutes."""

from __future__ import annotations

import time

from edge.outbox import Outbox
from edge.roster_cache import RosterCache, roster_key
from edge.sync import Backoff, SyncClient, SyncWorker, provision
from models.device_auth import load_private_key, private_key_bytes
from soak.context import Context
from soak.gate import SoakGate, compare, seed_gate_world
from soak.gate_rig import Gate, audit
from soak.procs import ServerProc, database
from soak.result import CheckResult


def run(ctx: Context) -> list[CheckResult]:
    cycles = ctx.size(6, 1000)
    results = []
    for backend in ctx.backends:
        started = time.monotonic()
        res = CheckResult("gate SIGKILL mid-burst", backend=backend)
        n = cycles if backend == ctx.backends[0] else max(2, cycles // 20)
        root = ctx.workdir / f"edge-kill-{backend}"
        with database(backend, ctx.workdir, ctx.pg_url) as db_url:
            seeded = seed_gate_world(db_url)
            rig = Gate.provision(root / "gate", root / "outbox.sqlite3")
            rig.device = seeded.device_code
            taps = 0
            try:
                for _ in range(n):
                    taps += rig.burst(ctx.rng)
            finally:
                rig.close()
            found = audit(rig)
            server = ServerProc(db_url, log=ctx.workdir / f"edge-kill-{backend}.log")
            server.start()
            try:
                key = load_private_key((rig.data / "device.key").read_bytes())
                provision(server.url, seeded.provisioning_code, key)
                client = SyncClient(server.url, device_code=seeded.device_code, key=key)
                outbox = Outbox(rig.outbox, device_id=seeded.device_code, key=key)
                roster = RosterCache(
                    root / "roster.sqlite3", key=roster_key(private_key_bytes(key))
                )
                worker = SyncWorker(
                    client, outbox, roster, batch_size=200, backoff=Backoff(0.02, 0.2)
                )
                gate = SoakGate(seeded, rig.data, outbox, client, worker, roster)
                worker.flush_events()
                worker.flush_events()  # a second pass must re-send nothing
                tally = compare(gate, db_url)
                gate.close()
            finally:
                server.stop()
        res.cycles = n
        res.lost = len(found.missing) + len(found.problems) + tally.lost + tally.breaks
        res.duplicates = found.duplicates + tally.duplicates
        res.notes.append(
            f"{taps} taps, {len(rig.acted)} acted on, {found.events} recorded, {tally.stored} "
            f"stored, {len(found.problems)} outbox problems, {tally.breaks} chain breaks"
        )
        res.seconds = time.monotonic() - started
        results.append(res)
    return results
