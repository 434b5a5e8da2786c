"""The power-loss check's gate: a provisioned device on disk, a burst of card taps against a
real agent process, and an audit of the outbox by the real edge code afterwards."""

from __future__ import annotations

import datetime as dt
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from edge.outbox import Outbox, verify_chain
from models.device_auth import (
    new_private_key,
    private_key_bytes,
    public_key_hex,
    verify_event_signature,
)
from models.enums import AssignmentStatus
from models.ids import resident_id_check_char
from models.roster import GatePolicy, RosterEntry
from models.sync import RosterDelta
from soak.lazymount import REPO

CARDS = [f"C0FFEE{i:02X}" for i in range(1, 21)]
DEVICE = "SOAK-GATE-1"


@dataclass
class Gate:
    """`data` (key, roster) is on an ordinary disk; only the outbox lives on the mount."""

    data: Path
    outbox: Path
    public_key: str
    acted: dict[str, int] = field(default_factory=dict)  # event_id -> seq, every relay move
    pulses: int = 0  # relay moves reported (an id seen twice counts twice)

    @classmethod
    def provision(cls, data: Path, outbox: Path) -> Gate:
        data.mkdir(parents=True, exist_ok=True)
        key = new_private_key()
        (data / "device.key").write_bytes(private_key_bytes(key))
        entries = [_entry(i, uid) for i, uid in enumerate(CARDS, start=1)]
        delta = RosterDelta(
            project_id=1,
            version=1,
            since_version=0,
            full=True,
            entries=entries,
            policy=GatePolicy(anti_passback=False),  # the burst taps the same cards again
        )
        (data / "roster.json").write_text(delta.model_dump_json())
        return cls(data=data, outbox=outbox, public_key=public_key_hex(key))

    def burst(self, rng: random.Random, *, synchronous: str = "FULL") -> int:
        """Tap cards for a random 0.1-0.6 s, then SIGKILL mid-burst; returns the taps sent.
        Every `PULSE` the agent printed before dying is added to `acted`."""
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed argv
            [sys.executable, "-m", "soak.gate_proc", str(self.data), str(self.outbox), DEVICE,
             synchronous],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )  # fmt: skip
        if proc.stdin is None or proc.stdout is None:
            raise RuntimeError("no pipes to the gate agent")
        taps = 0
        try:
            ready, _, _ = select.select([proc.stdout], [], [], 60.0)
            if not ready or proc.stdout.readline().strip() != b"READY":
                raise RuntimeError("the gate agent did not start")
            deadline = time.monotonic() + rng.uniform(0.1, 0.6)
            while time.monotonic() < deadline:
                uid = rng.choice(CARDS) if rng.random() < 0.8 else f"BADBAD{rng.randrange(256):02X}"
                proc.stdin.write(f"{uid}\n".encode())
                proc.stdin.flush()
                taps += 1
                time.sleep(rng.uniform(0.0, 0.01))
        finally:
            os.kill(proc.pid, signal.SIGKILL)  # decisions are in flight
            out = proc.stdout.read()
            proc.wait(10)
            proc.stdin.close()
            proc.stdout.close()
        for line in out.decode().splitlines():
            if line.startswith("PULSE "):
                _, seq, event_id = line.split()
                self.acted[event_id] = int(seq)
                self.pulses += 1
        return taps


@dataclass
class Audit:
    events: int
    missing: set[str]  # acted-on event ids not in the outbox intact (absent, moved, forged)
    duplicates: int  # rows sharing an event id, plus relay moves repeated for one record
    problems: list[str]  # integrity check, chain and signature findings


def audit(gate: Gate) -> Audit:
    """Reopen the outbox with the real edge code, as the gate does after power comes back."""
    problems: list[str] = []
    conn = sqlite3.connect(gate.outbox)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            problems.append(f"integrity_check: {check}")
        total, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM event"
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        problems.append(f"outbox unreadable: {exc}")
        total = distinct = 0
    finally:
        conn.close()
    with Outbox(gate.outbox, device_id=DEVICE) as outbox:
        events = list(outbox.iter_events())
    problems += verify_chain(events)
    by_id = {str(e.event_id): e for e in events}
    for e in events:
        if not verify_event_signature(gate.public_key, e.hash, e.signature):
            problems.append(f"seq {e.seq}: signature does not verify")
    bad = {p.split(":")[0] for p in problems if p.startswith("seq ")}
    missing = {
        event_id
        for event_id, seq in gate.acted.items()
        if event_id not in by_id or by_id[event_id].seq != seq or f"seq {seq}" in bad
    }
    return Audit(
        events=len(events),
        missing=missing,
        duplicates=(total - distinct) + (gate.pulses - len(gate.acted)),
        problems=problems,
    )


def _entry(worker_id: int, uid: str) -> RosterEntry:
    first17 = f"110101{19850101}{worker_id * 2 + 1:03d}"
    return RosterEntry(
        assignment_id=1000 + worker_id,
        worker_id=worker_id,
        name=f"工人{worker_id}",
        id_number=first17 + resident_id_check_char(first17),
        gender="M",
        birth_date=dt.date(1985, 1, 1),
        status=AssignmentStatus.ACTIVE,
        entered_on=dt.date(2026, 1, 5),
        contract_signed=True,
        safety_trained=True,
        card_uids=[uid],
    )
