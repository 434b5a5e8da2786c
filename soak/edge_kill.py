"""The gate agent SIGKILLed mid-burst, over and over: every decision it acted on (pulsed the
relay for) must be in its outbox, at its seq, with the chain intact; then, uploaded to a real
server on each backend, every event is stored exactly once."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from edge.outbox import Outbox, verify_chain
from models.device_auth import load_private_key
from models.enums import GateResult
from soak.context import Context
from soak.gate import UIDS, SoakGate, compare, seed_gate_world
from soak.procs import REPO, ServerProc, database
from soak.result import CheckResult

CHILD = REPO / "soak" / "agent_child.py"


def run_round(data: Path, device: str, rng: random.Random) -> tuple[list[tuple[int, str]], int]:
    """One life of the agent: a burst of taps, SIGKILL at a random moment. Returns the
    (seq, event id) of every decision it announced before pulsing, and the taps sent."""
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(data), device],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=REPO,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != b"READY":
        proc.kill()
        raise RuntimeError("the gate agent did not start")
    taps = 0
    try:
        deadline = time.monotonic() + rng.uniform(0.15, 0.6)
        while time.monotonic() < deadline:
            uid = rng.choice(UIDS) if rng.random() < 0.8 else f"BADBAD{rng.randrange(256):02X}"
            proc.stdin.write(f"{uid}\n".encode())
            proc.stdin.flush()
            taps += 1
            time.sleep(rng.uniform(0.0, 0.01))
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # mid-burst: decisions are in flight
        out = proc.stdout.read()
        proc.wait(10)
        proc.stdin.close()
        proc.stdout.close()
    pulses = []
    for line in out.decode().splitlines():
        if line.startswith("PULSE "):
            _, seq, event_id = line.split()
            pulses.append((int(seq), event_id))
    return pulses, taps


def _outbox_problems(path: Path, device: str, acted: list[tuple[int, str]]) -> tuple[int, int]:
    """(lost acted-on decisions, other defects: integrity, gaps, chain)."""
    conn = sqlite3.connect(path)
    defects = 0 if conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok" else 1
    conn.close()
    outbox = Outbox(path, device_id=device)
    try:
        events = list(outbox.iter_events())
    finally:
        outbox.close()
    by_id = {str(e.event_id): e for e in events}
    lost = sum(
        1
        for seq, event_id in acted
        if event_id not in by_id
        or by_id[event_id].seq != seq
        or by_id[event_id].result is not GateResult.GRANTED
    )
    if [e.seq for e in events] != list(range(1, len(events) + 1)):
        defects += 1
    defects += len(verify_chain(events))
    return lost, defects


def run(ctx: Context) -> list[CheckResult]:
    cycles = ctx.size(4, 1000)
    results = []
    for backend in ctx.backends:
        started = time.monotonic()
        res = CheckResult("gate SIGKILL mid-burst", backend=backend)
        with database(backend, ctx.workdir, ctx.pg_url) as db_url:
            seeded = seed_gate_world(db_url)
            server = ServerProc(db_url, log=ctx.workdir / f"edge-kill-{backend}.log")
            server.start()
            try:
                gate = SoakGate.provision(seeded, server.url, ctx.workdir / f"edge-kill-{backend}")
                delta = gate.client.roster(0)  # anti-passback off: the burst repeats cards
                policy = delta.policy.model_copy(update={"anti_passback": False})
                (gate.data / "roster.json").write_text(
                    delta.model_copy(update={"policy": policy}).model_dump_json()
                )
                gate.outbox.close()  # the child owns it while it runs
                acted: list[tuple[int, str]] = []
                taps = 0
                n = cycles if backend == ctx.backends[0] else max(1, cycles // 10)
                for _ in range(n):
                    pulses, t = run_round(gate.data, seeded.device_code, ctx.rng)
                    acted += pulses
                    taps += t
                lost, defects = _outbox_problems(
                    gate.data / "outbox.sqlite3", seeded.device_code, acted
                )
                key = load_private_key((gate.data / "device.key").read_bytes())
                gate.outbox = Outbox(
                    gate.data / "outbox.sqlite3", device_id=seeded.device_code, key=key
                )
                gate.worker.outbox = gate.outbox
                gate.worker.flush_events()
                gate.worker.flush_events()  # a second pass must re-send nothing
                tally = compare(gate, db_url)
                gate.close()
            finally:
                server.stop()
        res.cycles = n
        res.lost = lost + tally.lost
        res.duplicates = tally.duplicates
        res.tampered, res.detected = None, None
        res.notes.append(
            f"{taps} taps, {len(acted)} acted on, {tally.held} recorded, {tally.stored} stored, "
            f"{defects} outbox defects, {tally.breaks} chain breaks"
        )
        if defects or tally.breaks:
            res.lost = (res.lost or 0) + defects + tally.breaks
        res.seconds = time.monotonic() - started
        results.append(res)
    return results
