"""The power-loss check's gate: a provisioned device on disk, a burst of card taps against a
real agent process, and an audit of the outbox by the real edge code afterwards."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

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
    device: str = DEVICE  # the device code the outbox is chained under
    _spawner: Spawner | None = field(default=None, repr=False)

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
        if self._spawner is None:
            self._spawner = Spawner(self.data / "agents.log")
        agent = self._spawner.spawn([str(self.data), str(self.outbox), self.device, synchronous])
        taps = 0
        try:
            ready, _, _ = select.select([agent.pulses], [], [], 60.0)
            if not ready or agent.pulses.readline().strip() != b"READY":
                raise RuntimeError(f"the gate agent did not start: see {self.data}/agents.log")
            deadline = time.monotonic() + rng.uniform(0.1, 0.6)
            while time.monotonic() < deadline:
                uid = rng.choice(CARDS) if rng.random() < 0.8 else f"BADBAD{rng.randrange(256):02X}"
                agent.cards.write(f"{uid}\n".encode())
                agent.cards.flush()
                taps += 1
                time.sleep(rng.uniform(0.0, 0.01))
        finally:
            out = agent.kill()  # decisions are in flight
        for line in out.decode().splitlines():
            if line.startswith("PULSE "):
                _, seq, event_id = line.split()
                self.acted[event_id] = int(seq)
                self.pulses += 1
        return taps

    def close(self) -> None:
        if self._spawner is not None:
            self._spawner.close()
            self._spawner = None


@dataclass
class Agent:
    """A running agent process: its card input and its pulse output."""

    pid: int
    cards: BinaryIO
    pulses: BinaryIO

    def kill(self) -> bytes:
        """SIGKILL; what it printed; returns once the process is gone."""
        os.kill(self.pid, signal.SIGKILL)
        out = self.pulses.read()  # EOF: the process's descriptors are closed
        self.pulses.close()
        with contextlib.suppress(BrokenPipeError):
            self.cards.close()
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            try:
                os.kill(self.pid, 0)  # the zygote ignores SIGCHLD, so the kernel reaps it
            except ProcessLookupError:
                return out
            time.sleep(0.005)
        raise RuntimeError(f"agent {self.pid} outlived SIGKILL")


class Spawner:
    """The zygote (`soak.gate_proc --zygote`): one interpreter that forks agents on request."""

    def __init__(self, log: Path) -> None:
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with log.open("a") as err:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "soak.gate_proc", "--zygote", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
        theirs.close()

    def spawn(self, argv: list[str]) -> Agent:
        cards_r, cards_w = os.pipe()
        pulses_r, pulses_w = os.pipe()
        try:
            socket.send_fds(self._sock, [json.dumps(argv).encode()], [cards_r, pulses_w])
            reply = self._sock.recv(64)
        finally:
            os.close(cards_r)
            os.close(pulses_w)
        if not reply:
            os.close(cards_w)
            os.close(pulses_r)
            raise RuntimeError("the agent zygote exited")
        return Agent(int(reply), os.fdopen(cards_w, "wb"), os.fdopen(pulses_r, "rb"))

    def close(self) -> None:
        self._sock.close()  # the zygote sees EOF and exits
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(5)


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
    with Outbox(gate.outbox, device_id=gate.device) as outbox:
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
