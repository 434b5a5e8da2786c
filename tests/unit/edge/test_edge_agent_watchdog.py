"""GateAgent.run_forever's systemd hooks: started once, alive pings only while every thread runs."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from edge_support import FakeIcReader, FakeRelay

from edge.agent import Devices, GateAgent
from edge.config import GateSettings
from edge.outbox import Outbox
from edge.roster_cache import RosterCache
from models.enums import Direction, GateMode


def wait_until(cond: object, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


class TestRunForever:
    def test_pings_stop_when_a_thread_dies(self, tmp_path: Path) -> None:
        outbox = Outbox(tmp_path / "o.sqlite3", device_id="GATE-A-IN")
        roster = RosterCache(tmp_path / "r.sqlite3", key=os.urandom(32))
        agent = GateAgent(
            direction=Direction.IN,
            gate=GateSettings(mode=GateMode.CARD_ONLY),
            devices=Devices(ic_reader=FakeIcReader(), relay=FakeRelay()),
            outbox=outbox,
            roster=roster,
        )
        started: list[float] = []
        pings: list[float] = []
        runner = threading.Thread(
            target=agent.run_forever,
            kwargs={
                "on_started": lambda: started.append(time.monotonic()),
                "on_alive": lambda: pings.append(time.monotonic()),
            },
        )
        runner.start()
        try:
            wait_until(lambda: len(pings) >= 2)
            assert len(started) == 1
            assert agent.alive()
            # a worker thread that died (an uncaught error in the relay loop, say)
            dead = threading.Thread(target=lambda: None)
            dead.start()
            dead.join()
            agent._threads.append(dead)
            assert not agent.alive()
            time.sleep(0.1)  # a ping already under way may still land
            seen = len(pings)
            time.sleep(2.5)
            assert len(pings) == seen, "no pings from a gate with a dead thread"
        finally:
            agent._stop.set()
            runner.join(15)
            outbox.close()
            roster.close()
        assert not runner.is_alive()
