"""SIGKILL during a burst of decisions: every decision the gate acted on is in the outbox, the
chain is unbroken, and after upload the server holds every event exactly once."""

from __future__ import annotations

import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from edge_e2e_support import REPO, ServerProc, chain_breaks, seed, server_events

from edge.outbox import Outbox, verify_chain
from edge.roster_cache import RosterCache, roster_key
from edge.sync import Backoff, SyncClient, SyncWorker, provision
from models.device_auth import new_private_key, private_key_bytes
from models.enums import GateResult

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

ROUNDS = 8
UIDS = [f"C0FFEE{i:02X}" for i in range(1, 21)]


def run_round(data: Path, device: str, rng: random.Random) -> tuple[list[tuple[int, str]], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "soak.gate_proc", str(data), str(data / "outbox.sqlite3"), device],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=REPO,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"READY"
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
    assert proc.returncode == -signal.SIGKILL
    pulses = []
    for line in out.decode().splitlines():
        if line.startswith("PULSE "):
            _, seq, event_id = line.split()
            pulses.append((int(seq), event_id))
    return pulses, taps


def test_sigkill_loses_no_acted_decision(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    people = [(u, f"工人{i}", u, [], False) for i, u in enumerate(UIDS)]
    seeded = seed(db_url, people)
    server = ServerProc(db_url)
    server.start()
    try:
        key = new_private_key()
        data = tmp_path / "gate"
        data.mkdir()
        (data / "device.key").write_bytes(private_key_bytes(key))
        provision(server.url, seeded.provisioning_code, key)
        client = SyncClient(server.url, device_code=seeded.device_code, key=key)
        # The gate's roster as the server sends it (anti-passback off: the burst repeats cards).
        delta = client.roster(0)
        delta = delta.model_copy(
            update={"policy": delta.policy.model_copy(update={"anti_passback": False})}
        )
        (data / "roster.json").write_text(delta.model_dump_json())

        rng = random.Random(20260302)
        acted: list[tuple[int, str]] = []
        taps = 0
        for _ in range(ROUNDS):
            pulses, n = run_round(data, seeded.device_code, rng)
            acted += pulses
            taps += n

        # 1. Nothing half-written; 2. every acted-on decision is there, granted; 3. chain intact.
        conn = sqlite3.connect(data / "outbox.sqlite3")
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()
        outbox = Outbox(data / "outbox.sqlite3", device_id=seeded.device_code, key=key)
        events = list(outbox.iter_events())
        by_id = {str(e.event_id): e for e in events}
        assert len(acted) >= ROUNDS  # the test did exercise the gate
        for seq, event_id in acted:
            assert event_id in by_id, f"acted-on decision seq {seq} lost"
            assert by_id[event_id].seq == seq
            assert by_id[event_id].result is GateResult.GRANTED
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert verify_chain(events) == []
        assert len(events) <= taps

        # 4. Later on the server: exactly once, unbroken chain.
        roster = RosterCache(data / "roster2.sqlite3", key=roster_key(private_key_bytes(key)))
        worker = SyncWorker(client, outbox, roster, batch_size=50, backoff=Backoff(0.05, 0.2))
        try:
            worker.flush_events()
            worker.flush_events()  # a second pass re-sends nothing
        finally:
            roster.close()
        stored = server_events(db_url, seeded.device_pk)
        assert [s for s, *_ in stored] == [e.seq for e in events]
        assert [h for _, _, h, _ in stored] == [e.hash for e in events]
        assert all(ok for *_, ok in stored)
        assert chain_breaks(db_url, seeded.device_pk) == 0
        assert outbox.stats().depth == 0
        outbox.close()
        client.close()
        logging.getLogger(__name__).info(
            "rounds=%d taps=%d events=%d acted=%d", ROUNDS, taps, len(events), len(acted)
        )
    finally:
        server.stop()
