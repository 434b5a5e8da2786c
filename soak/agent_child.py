"""A gate agent for the SIGKILL checks (soak, tests/e2e/edge), run as its own process.

Cards arrive as lines on stdin (an IC reader); when the gate acts on a decision it prints
`PULSE <seq> <event_id>` and flushes *before* pulsing, so the parent knows every decision the
gate acted on even if the process dies a microsecond later.
"""

from __future__ import annotations

import queue
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


class NullRelay:
    def pulse(self, ms: int) -> None:
        pass

    def door_state(self) -> bool | None:
        return None

    def close(self) -> None:
        pass


def main() -> None:
    data, device_code = Path(sys.argv[1]), sys.argv[2]
    key = load_private_key((data / "device.key").read_bytes())
    outbox = Outbox(data / "outbox.sqlite3", device_id=device_code, key=key)
    roster = RosterCache(data / "roster.sqlite3", key=b"k" * 32)
    if roster.version == 0:
        roster.apply(RosterDelta.model_validate_json((data / "roster.json").read_text()))

    def before_pulse(event: GateEvent) -> None:
        sys.stdout.write(f"PULSE {event.seq} {event.event_id}\n")
        sys.stdout.flush()

    agent = GateAgent(
        direction=Direction.IN,
        gate=GateSettings(mode=GateMode.CARD_ONLY, pass_timeout_s=0.1, relay_pulse_ms=100),
        devices=Devices(ic_reader=StdinReader(), relay=NullRelay()),
        outbox=outbox,
        roster=roster,
        before_pulse=before_pulse,
        tick_s=0.01,
    )
    agent.start()
    sys.stdout.write("READY\n")
    sys.stdout.flush()
    threading.Event().wait()  # until SIGKILL


if __name__ == "__main__":
    main()
