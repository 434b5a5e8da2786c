"""A real gate agent for the power-loss check, run as its own process (as in the SIGKILL e2e
test): `python -m soak.gate_proc DATA OUTBOX DEVICE [SYNCHRONOUS]`.

`python -m soak.gate_proc --zygote FD` imports the edge code once and then forks one agent per
request on the Unix socket FD (the request carries the agent's stdin and stdout as descriptors),
so a cycle does not pay the interpreter's ~1.5 s start-up; each agent is still its own process.

Card UIDs arrive as lines on stdin (the IC reader). When the relay moves for a decision it
prints `PULSE <seq> <event_id>` on stdout, a pipe outside the file system under test, so the
parent knows every decision the gate acted on even if power goes a microsecond later.

SYNCHRONOUS other than FULL is the check's control: the outbox's connections get that pragma,
the durability a careless change could leave, to show the check notices.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import sqlite3
import sys
import threading
import traceback
from pathlib import Path

from edge import outbox as outbox_module
from edge.agent import Devices, GateAgent
from edge.config import GateSettings
from edge.outbox import Outbox
from edge.roster_cache import RosterCache
from models.device_auth import load_private_key
from models.enums import Direction, GateMode
from models.gate_event import GateEvent
from models.sync import RosterDelta


class StdinReader:
    def __init__(self) -> None:
        self.q: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in sys.stdin:
            if line.strip():
                self.q.put(line.strip())

    def read_uid(self, timeout_s: float) -> str | None:
        try:
            return self.q.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def close(self) -> None:
        pass


class PipeRelay:
    """Reports each pulse on stdout; the agent's relay thread calls `before_pulse` and then
    `pulse` for the same event, so the event seen last is the one the relay moves for."""

    def __init__(self) -> None:
        self.event: GateEvent | None = None

    def before_pulse(self, event: GateEvent) -> None:
        self.event = event

    def pulse(self, ms: int) -> None:
        if self.event is not None:
            sys.stdout.write(f"PULSE {self.event.seq} {self.event.event_id}\n")
            sys.stdout.flush()

    def door_state(self) -> bool | None:
        return None

    def close(self) -> None:
        pass


def weaken(synchronous: str) -> None:
    """The control: the outbox's `connect` as it would be with weaker durability."""
    real_connect = outbox_module.connect

    def connect(path: Path) -> sqlite3.Connection:
        conn = real_connect(path)
        conn.execute(f"PRAGMA synchronous={synchronous}")
        return conn

    outbox_module.connect = connect


def main(argv: list[str]) -> None:
    data, outbox_path, device_code = Path(argv[0]), Path(argv[1]), argv[2]
    synchronous = argv[3] if len(argv) > 3 else "FULL"
    if synchronous not in ("FULL", "NORMAL", "OFF"):
        raise SystemExit(f"unknown synchronous mode {synchronous!r}")
    if synchronous != "FULL":
        weaken(synchronous)
    key = load_private_key((data / "device.key").read_bytes())
    outbox = Outbox(outbox_path, device_id=device_code, key=key)
    roster = RosterCache(data / "roster.sqlite3", key=b"k" * 32)
    if roster.version == 0:
        roster.apply(RosterDelta.model_validate_json((data / "roster.json").read_text()))
    relay = PipeRelay()
    agent = GateAgent(
        direction=Direction.IN,
        gate=GateSettings(mode=GateMode.CARD_ONLY, pass_timeout_s=0.05, relay_pulse_ms=100),
        devices=Devices(ic_reader=StdinReader(), relay=relay),
        outbox=outbox,
        roster=roster,
        before_pulse=relay.before_pulse,
        tick_s=0.01,
    )
    agent.start()
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    threading.Event().wait()  # until SIGKILL


def zygote(fd: int) -> None:
    """Fork an agent per request: a JSON argv list plus its stdin and stdout; answer its pid."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps killed agents at once
    sock = socket.socket(fileno=fd)
    while True:
        msg, fds, _, _ = socket.recv_fds(sock, 65536, 2)
        if not msg:
            return  # the parent closed its end
        cards, pulses = fds
        pid = os.fork()
        if pid == 0:
            sock.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                sys.stdin = open(cards, encoding="utf-8")  # noqa: SIM115 - lives until SIGKILL
                sys.stdout = open(pulses, "w", encoding="utf-8")  # noqa: SIM115 - as above
                main(json.loads(msg))
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(1)
        os.close(cards)
        os.close(pulses)
        sock.send(f"{pid}".encode())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--zygote"]:
        zygote(int(sys.argv[2]))
    else:
        main(sys.argv[1:])
